//! Store tests: in-memory for the logic, temp-dir files for what only a file has
//! (mode, WAL, reopening, refusing files it does not understand).

use pretty_assertions::assert_eq;
use serde_json::json;

use super::converse_json::{every_block, to_converse};
use super::*;
use crate::conversation::{Block, Message, Role, StopReason, Usage};

fn mem() -> Store {
    Store::in_memory().expect("in-memory store")
}

fn text(role: Role, t: &str, model: Option<&str>) -> Message {
    Message {
        role,
        blocks: vec![Block::Text(t.into())],
        model: model.map(str::to_owned),
    }
}

fn answer(seq: u32, t: &str, model: &str, usage: Usage, now: i64) -> StoredMessage {
    StoredMessage {
        stop: Some(StopReason::EndTurn),
        usage: Some(usage),
        ..StoredMessage::new(seq, text(Role::Assistant, t, Some(model)), now)
    }
}

fn usage(input: u32, output: u32) -> Usage {
    Usage {
        input,
        output,
        cache_read: 0,
        cache_write: 0,
    }
}

fn count(s: &Store, sql: &str) -> i64 {
    s.conn.query_row(sql, [], |r| r.get(0)).expect(sql)
}

/// Fails when an FTS index differs from its content table (a missed trigger).
fn assert_fts_in_sync(s: &Store) {
    for t in ["messages_fts", "conversations_fts"] {
        s.conn
            .execute(
                &format!("INSERT INTO {t} ({t}, rank) VALUES ('integrity-check', 1)"),
                [],
            )
            .unwrap_or_else(|e| panic!("{t} out of sync: {e}"));
    }
}

/// Rows the message index returns for a term, whether or not the content still exists.
fn indexed(s: &Store, term: &str) -> i64 {
    s.conn
        .query_row(
            "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?1",
            [term],
            |r| r.get(0),
        )
        .expect("fts count")
}

#[test]
fn every_block_round_trips_through_the_db() {
    let mut s = mem();
    let c = s.create("blocks", "m1", Some("be brief"), 10).unwrap();
    let user = StoredMessage::new(
        0,
        Message {
            role: Role::User,
            blocks: every_block(),
            model: None,
        },
        11,
    );
    let assistant = StoredMessage {
        seq: 1,
        message: Message {
            role: Role::Assistant,
            blocks: every_block(),
            model: Some("us.anthropic.claude-x".into()),
        },
        state: MessageState::Failed,
        stop: Some(StopReason::Other("model_context_window_exceeded".into())),
        usage: Some(Usage {
            input: 1,
            output: 2,
            cache_read: 3,
            cache_write: u32::MAX,
        }),
        error: Some("throttled".into()),
        guardrail: None,
        alternatives: Vec::new(),
        exchange: Some(crate::inspect::Exchange {
            operation: "ConverseStream".into(),
            model_id: "us.anthropic.claude-x".into(),
            request: serde_json::json!({"messages": [{"role": "user", "content": [{"text": "hi"}]}]}),
            status: Some(429),
            request_id: Some("req-1".into()),
            error: Some("throttled".into()),
            ..crate::inspect::Exchange::default()
        }),
        created_ms: 12,
        updated_ms: 13,
    };
    s.put_message(c, &user).unwrap();
    s.put_message(c, &assistant).unwrap();
    let loaded = s.load(c).unwrap();
    assert_eq!(loaded.messages, vec![user, assistant]);
    assert_eq!(loaded.title, "blocks");
    assert_eq!(loaded.model, "m1");
    assert_eq!(loaded.system.as_deref(), Some("be brief"));
    assert_eq!((loaded.created_ms, loaded.updated_ms), (10, 13));
    // The stored content column is exactly the Converse JSON.
    let stored: String = s
        .conn
        .query_row("SELECT content FROM messages WHERE seq = 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&stored).unwrap(),
        to_converse(&loaded.messages[1].message)
    );
}

#[test]
fn every_state_round_trips() {
    let mut s = mem();
    let c = s.create("t", "m", None, 0).unwrap();
    let states = [
        MessageState::Done,
        MessageState::Streaming,
        MessageState::Cancelled,
        MessageState::Failed,
    ];
    for (i, state) in states.into_iter().enumerate() {
        let m = StoredMessage {
            state,
            ..StoredMessage::new(i as u32, Message::user("x"), 1)
        };
        s.put_message(c, &m).unwrap();
    }
    let got: Vec<_> = s
        .load(c)
        .unwrap()
        .messages
        .iter()
        .map(|m| m.state)
        .collect();
    assert_eq!(got, states);
}

#[test]
fn checkpoints_upsert_one_row_with_the_last_text() {
    let mut s = mem();
    let c = s.create("stream", "m", None, 0).unwrap();
    s.put_message(c, &StoredMessage::new(0, Message::user("question"), 1))
        .unwrap();
    for i in 0..100 {
        let last = i == 99;
        let t = if last {
            "complete answer".to_owned()
        } else {
            format!("partial{i:03}")
        };
        let m = StoredMessage {
            state: if last {
                MessageState::Done
            } else {
                MessageState::Streaming
            },
            created_ms: 100 + i,
            updated_ms: 100 + i,
            ..StoredMessage::new(1, text(Role::Assistant, &t, Some("m")), 0)
        };
        s.put_message(c, &m).unwrap();
    }
    assert_eq!(count(&s, "SELECT count(*) FROM messages WHERE seq = 1"), 1);
    let loaded = s.load(c).unwrap();
    assert_eq!(loaded.messages.len(), 2);
    let a = &loaded.messages[1];
    assert_eq!(a.message.text(), "complete answer");
    assert_eq!(a.state, MessageState::Done);
    assert_eq!(a.created_ms, 100, "created_ms is kept from the first write");
    assert_eq!(a.updated_ms, 199);
    assert_eq!(loaded.updated_ms, 199, "the conversation is marked updated");
    assert_fts_in_sync(&s);
    assert!(s.search("partial", 10).unwrap().is_empty());
    assert_eq!(
        indexed(&s, "partial*"),
        0,
        "old checkpoints leave the index"
    );
    assert_eq!(s.search("complete", 10).unwrap().len(), 1);
}

#[test]
fn conversation_time_never_moves_back() {
    let mut s = mem();
    let c = s.create("t", "m", None, 500).unwrap();
    s.put_message(c, &StoredMessage::new(0, Message::user("x"), 400))
        .unwrap();
    assert_eq!(s.load(c).unwrap().updated_ms, 500);
    s.put_message(c, &StoredMessage::new(1, Message::user("y"), 600))
        .unwrap();
    assert_eq!(s.load(c).unwrap().updated_ms, 600);
}

#[test]
fn truncate_removes_from_seq_on() {
    let mut s = mem();
    let c = s.create("t", "m", None, 0).unwrap();
    for i in 0..5u32 {
        let m = StoredMessage::new(i, Message::user(format!("word{i}")), 1);
        s.put_message(c, &m).unwrap();
    }
    assert_eq!(s.truncate(c, 3).unwrap(), 2);
    let seqs: Vec<u32> = s.load(c).unwrap().messages.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, vec![0, 1, 2]);
    assert!(s.search("word4", 10).unwrap().is_empty());
    assert_eq!(s.search("word2", 10).unwrap().len(), 1);
    assert_fts_in_sync(&s);
    assert_eq!(s.truncate(c, 10).unwrap(), 0);
    // After a truncate the same seq can be written again (regenerate).
    s.put_message(c, &StoredMessage::new(3, Message::user("again"), 2))
        .unwrap();
    assert_eq!(s.load(c).unwrap().messages.len(), 4);
    assert!(matches!(
        s.truncate(ConversationId(999), 0),
        Err(Error::NoSuchConversation(ConversationId(999)))
    ));
}

#[test]
fn list_is_newest_first_with_counts_and_last_model() {
    let mut s = mem();
    let a = s.create("a", "model-a", None, 100).unwrap();
    let b = s.create("b", "model-b", None, 200).unwrap();
    let c = s.create("c", "model-c", None, 300).unwrap();
    // `a` becomes the most recent, with three messages and a model switch.
    s.put_message(a, &StoredMessage::new(0, Message::user("q"), 400))
        .unwrap();
    s.put_message(a, &answer(1, "r", "model-x", usage(1, 1), 401))
        .unwrap();
    s.put_message(a, &StoredMessage::new(2, Message::user("q2"), 402))
        .unwrap();
    let list = s.list(10, 0).unwrap();
    let ids: Vec<_> = list.iter().map(|x| x.id).collect();
    assert_eq!(ids, vec![a, c, b]);
    assert_eq!(
        list[0],
        Summary {
            id: a,
            title: "a".into(),
            created_ms: 100,
            updated_ms: 402,
            message_count: 3,
            last_model: "model-x".into(),
        }
    );
    assert_eq!(list[1].message_count, 0);
    assert_eq!(
        list[1].last_model, "model-c",
        "falls back to the start model"
    );
    let page: Vec<_> = s.list(1, 1).unwrap().iter().map(|x| x.id).collect();
    assert_eq!(page, vec![c]);
    assert!(s.list(10, 3).unwrap().is_empty());
    assert_eq!(s.last().unwrap(), Some(a));
}

#[test]
fn last_is_none_when_empty() {
    let s = mem();
    assert_eq!(s.last().unwrap(), None);
    assert!(s.list(10, 0).unwrap().is_empty());
}

#[test]
fn search_finds_words_in_messages_and_titles() {
    let mut s = mem();
    let c = s.create("Rust lifetimes question", "m", None, 0).unwrap();
    let other = s.create("Cooking", "m", None, 0).unwrap();
    s.put_message(
        c,
        &StoredMessage::new(0, Message::user("Why does the borrow checker complain?"), 1),
    )
    .unwrap();
    let reasoning = Message {
        role: Role::Assistant,
        blocks: vec![
            Block::Reasoning {
                text: "consider ownership".into(),
                signature: None,
            },
            Block::Text("Because of the streaming café".into()),
        ],
        model: Some("m".into()),
    };
    s.put_message(c, &StoredMessage::new(1, reasoning, 2))
        .unwrap();
    s.put_message(
        other,
        &StoredMessage::new(0, Message::user("a recipe for bread"), 3),
    )
    .unwrap();

    let hits = s.search("borrow checker", 10).unwrap();
    assert_eq!(hits.len(), 1);
    let h = &hits[0];
    assert_eq!((h.conversation, h.seq), (c, Some(0)));
    assert_eq!(h.title, "Rust lifetimes question");
    let marked: Vec<_> = h.highlights.iter().map(|r| &h.snippet[r.clone()]).collect();
    assert_eq!(marked, vec!["borrow", "checker"]);

    let title = s.search("lifetimes", 10).unwrap();
    assert_eq!(title.len(), 1);
    assert_eq!((title[0].conversation, title[0].seq), (c, None));
    assert_eq!(title[0].snippet, "Rust lifetimes question");

    // Reasoning is searchable, a prefix of the last word matches, diacritics fold.
    assert_eq!(s.search("ownership", 10).unwrap()[0].seq, Some(1));
    assert_eq!(s.search("strea", 10).unwrap()[0].seq, Some(1));
    assert_eq!(s.search("cafe", 10).unwrap().len(), 1);
    assert_eq!(s.search("bread", 10).unwrap()[0].conversation, other);
    // All words must match.
    assert!(s.search("bread borrow", 10).unwrap().is_empty());
    assert_eq!(s.search("r", 1).unwrap().len(), 1, "limit is applied");

    // Renaming reindexes the title.
    s.rename(c, "Ownership notes").unwrap();
    assert!(s.search("lifetimes", 10).unwrap().is_empty());
    assert!(
        s.search("notes", 10)
            .unwrap()
            .iter()
            .any(|h| h.seq.is_none())
    );
    assert_fts_in_sync(&s);
}

#[test]
fn search_survives_fts_syntax() {
    let mut s = mem();
    let c = s.create("t", "m", None, 0).unwrap();
    s.put_message(
        c,
        &StoredMessage::new(0, Message::user("say foo\"bar (now) -x col:val"), 1),
    )
    .unwrap();
    for q in [
        "foo\"bar (",
        "\"",
        "(",
        ")",
        "\"unterminated",
        "AND",
        "OR NOT",
        "NEAR(a b",
        "*",
        "^foo",
        "col:val",
        "-x",
        "a + b",
        "{body}: foo",
        "'",
        "",
        "   ",
    ] {
        if let Err(e) = s.search(q, 10) {
            panic!("query {q:?} failed: {e}");
        }
    }
    let hits = s.search("foo\"bar (", 10).unwrap();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(s.search("col:val", 10).unwrap().len(), 1);
}

#[test]
fn delete_cascades_to_messages_and_index() {
    let mut s = mem();
    let gone = s.create("doomed zebra", "m", None, 0).unwrap();
    let kept = s.create("kept", "m", None, 0).unwrap();
    s.put_message(gone, &StoredMessage::new(0, Message::user("unicorn"), 1))
        .unwrap();
    s.put_message(gone, &answer(1, "narwhal", "m", usage(5, 5), 2))
        .unwrap();
    s.put_message(
        kept,
        &StoredMessage::new(0, Message::user("unicorn too"), 3),
    )
    .unwrap();
    assert_eq!(indexed(&s, "unicorn"), 2);

    s.delete(gone).unwrap();
    assert_eq!(
        count(
            &s,
            &format!(
                "SELECT count(*) FROM messages WHERE conversation = {}",
                gone.0
            )
        ),
        0
    );
    assert_eq!(indexed(&s, "unicorn"), 1);
    assert_eq!(indexed(&s, "narwhal"), 0);
    let zebra: i64 = s
        .conn
        .query_row(
            "SELECT count(*) FROM conversations_fts WHERE conversations_fts MATCH 'zebra'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(zebra, 0);
    assert_fts_in_sync(&s);
    assert!(matches!(s.load(gone), Err(Error::NoSuchConversation(id)) if id == gone));
    assert!(s.usage_by_model(gone).unwrap().is_empty());
    assert_eq!(s.load(kept).unwrap().messages.len(), 1);
    assert!(matches!(s.delete(gone), Err(Error::NoSuchConversation(_))));
}

#[test]
fn opening_turns_foreign_keys_on() {
    // Bundled SQLite defaults them on, so start from a connection where they are off.
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    conn.pragma_update(None, "foreign_keys", false).unwrap();
    let mut s = Store::init(conn, std::path::Path::new(":memory:"), false).unwrap();
    let c = s.create("t", "m", None, 0).unwrap();
    s.put_message(c, &StoredMessage::new(0, Message::user("x"), 1))
        .unwrap();
    s.delete(c).unwrap();
    assert_eq!(count(&s, "SELECT count(*) FROM messages"), 0);
}

#[test]
fn the_sync_check_detects_a_missed_trigger() {
    // Guards the tests above: without the trigger the index goes stale and the
    // integrity check must say so.
    let mut s = mem();
    let c = s.create("t", "m", None, 0).unwrap();
    s.conn
        .execute_batch("DROP TRIGGER messages_fts_delete")
        .unwrap();
    s.put_message(c, &StoredMessage::new(0, Message::user("ghost"), 1))
        .unwrap();
    s.truncate(c, 0).unwrap();
    let check = s.conn.execute(
        "INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)",
        [],
    );
    assert!(check.is_err());
}

#[test]
fn missing_conversations_are_reported() {
    let mut s = mem();
    let nope = ConversationId(42);
    let is_missing = |r: Result<()>| matches!(r, Err(Error::NoSuchConversation(id)) if id == nope);
    assert!(is_missing(s.rename(nope, "x")));
    assert!(is_missing(s.set_system(nope, None)));
    assert!(is_missing(s.delete(nope)));
    assert!(is_missing(s.put_message(
        nope,
        &StoredMessage::new(0, Message::user("x"), 1)
    )));
    assert!(matches!(s.load(nope), Err(Error::NoSuchConversation(_))));
    assert!(matches!(
        s.export_markdown(nope),
        Err(Error::NoSuchConversation(_))
    ));
    assert_eq!(count(&s, "SELECT count(*) FROM messages"), 0);
}

#[test]
fn rename_and_set_system() {
    let mut s = mem();
    let c = s.create("old", "m", None, 5).unwrap();
    s.rename(c, "new").unwrap();
    s.set_system(c, Some("you are terse")).unwrap();
    let l = s.load(c).unwrap();
    assert_eq!(
        (l.title.as_str(), l.system.as_deref()),
        ("new", Some("you are terse"))
    );
    assert_eq!(l.updated_ms, 5, "renaming is not activity");
    s.set_system(c, None).unwrap();
    assert_eq!(s.load(c).unwrap().system, None);
}

#[test]
fn usage_is_summed_per_model_in_order_of_first_use() {
    let mut s = mem();
    let c = s.create("t", "start-model", None, 0).unwrap();
    s.put_message(c, &StoredMessage::new(0, Message::user("q"), 1))
        .unwrap();
    s.put_message(c, &answer(1, "a", "beta", usage(10, 20), 2))
        .unwrap();
    s.put_message(c, &answer(2, "b", "alpha", usage(1, 2), 3))
        .unwrap();
    let mut cached = answer(3, "c", "beta", usage(100, 200), 4);
    cached.usage = Some(Usage {
        input: 100,
        output: 200,
        cache_read: 7,
        cache_write: 9,
    });
    s.put_message(c, &cached).unwrap();
    // Usage without a model counts for the conversation's model.
    let anonymous = StoredMessage {
        usage: Some(usage(3, 4)),
        ..StoredMessage::new(4, text(Role::Assistant, "d", None), 5)
    };
    s.put_message(c, &anonymous).unwrap();
    assert_eq!(
        s.usage_by_model(c).unwrap(),
        vec![
            (
                "beta".to_owned(),
                Usage {
                    input: 110,
                    output: 220,
                    cache_read: 7,
                    cache_write: 9
                }
            ),
            ("alpha".to_owned(), usage(1, 2)),
            ("start-model".to_owned(), usage(3, 4)),
        ]
    );
}

#[test]
fn usage_sums_saturate() {
    let mut s = mem();
    let c = s.create("t", "m", None, 0).unwrap();
    s.put_message(c, &answer(0, "a", "m", usage(u32::MAX, 1), 1))
        .unwrap();
    s.put_message(c, &answer(1, "b", "m", usage(u32::MAX, 1), 2))
        .unwrap();
    assert_eq!(
        s.usage_by_model(c).unwrap(),
        vec![("m".to_owned(), usage(u32::MAX, 2))]
    );
}

fn sample(s: &mut Store) -> ConversationId {
    let c = s
        .create("Weather\nin Paris", "model-a", Some("Be helpful."), 0)
        .unwrap();
    s.put_message(
        c,
        &StoredMessage::new(0, Message::user("Weather in Paris?"), 1),
    )
    .unwrap();
    let a = StoredMessage {
        stop: Some(StopReason::ToolUse),
        usage: Some(usage(12, 34)),
        ..StoredMessage::new(
            1,
            Message {
                role: Role::Assistant,
                blocks: vec![
                    Block::Reasoning {
                        text: "Need the forecast.\n\nCall the tool.".into(),
                        signature: Some("sig".into()),
                    },
                    Block::ToolUse {
                        id: "tu1".into(),
                        name: "get_weather".into(),
                        input: json!({"city": "Paris"}),
                    },
                ],
                model: Some("model-b".into()),
            },
            2,
        )
    };
    s.put_message(c, &a).unwrap();
    let result = Message {
        role: Role::User,
        blocks: vec![Block::tool_text("tu1", "```sunny```", true)],
        model: None,
    };
    s.put_message(c, &StoredMessage::new(2, result, 3)).unwrap();
    let cut = StoredMessage {
        state: MessageState::Streaming,
        ..StoredMessage::new(3, text(Role::Assistant, "It is sun", Some("model-b")), 4)
    };
    s.put_message(c, &cut).unwrap();
    c
}

#[test]
fn markdown_export_labels_roles_models_reasoning_and_tools() {
    let mut s = mem();
    let c = sample(&mut s);
    let md = s.export_markdown(c).unwrap();
    for needle in [
        "# Weather in Paris\n",
        "Model: `model-a`",
        "## System prompt\n\nBe helpful.\n",
        "## User\n\nWeather in Paris?\n",
        "## Assistant · `model-b`\n",
        "> **Reasoning**\n>\n> Need the forecast.\n>\n> Call the tool.\n",
        "**Tool call** `get_weather` (`tu1`)\n\n```json\n{\n  \"city\": \"Paris\"\n}\n```\n",
        "**Tool result** (`tu1`, error)\n\n````text\n```sunny```\n````\n",
        "*stopped: tool_use · 12 in / 34 out tokens*",
        "It is sun\n\n*interrupted while streaming*",
    ] {
        assert!(md.contains(needle), "missing {needle:?} in:\n{md}");
    }
    assert!(!md.contains("sig"), "signatures are not for readers");
}

#[test]
fn json_export_has_converse_messages_models_and_usage() {
    let mut s = mem();
    let c = sample(&mut s);
    let v = s.export_json(c).unwrap();
    let loaded = s.load(c).unwrap();
    assert_eq!(v["format"], "bedrock-tui.conversation.v1");
    assert_eq!(v["title"], "Weather\nin Paris");
    assert_eq!(v["system"], json!([{"text": "Be helpful."}]));
    let msgs = v["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 4);
    for (m, stored) in msgs.iter().zip(&loaded.messages) {
        let converse = to_converse(&stored.message);
        assert_eq!(m["role"], converse["role"]);
        assert_eq!(m["content"], converse["content"]);
    }
    assert_eq!(msgs[1]["model"], "model-b");
    assert_eq!(msgs[1]["stopReason"], "tool_use");
    assert_eq!(
        msgs[1]["usage"],
        json!({"inputTokens": 12, "outputTokens": 34, "totalTokens": 46,
               "cacheReadInputTokens": 0, "cacheWriteInputTokens": 0})
    );
    assert_eq!(msgs[3]["state"], "streaming");
    assert!(msgs[0].get("model").is_none());
    assert_eq!(v["usageByModel"][0]["model"], "model-b");
    assert_eq!(v["usageByModel"][0]["usage"]["outputTokens"], 34);
}

#[test]
fn schema_has_no_place_for_credentials() {
    let s = mem();
    let mut stmt = s
        .conn
        .prepare("SELECT name FROM pragma_table_info('conversations') UNION ALL SELECT name FROM pragma_table_info('messages')")
        .unwrap();
    let columns: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert!(columns.len() > 10, "{columns:?}");
    for col in &columns {
        for bad in [
            "secret",
            "credential",
            "password",
            "access_key",
            "session_token",
            "profile",
            "auth",
        ] {
            assert!(!col.contains(bad), "column {col} looks like a credential");
        }
    }
}

#[test]
fn unreadable_rows_are_reported_not_dropped() {
    let mut s = mem();
    let c = s.create("t", "m", None, 0).unwrap();
    s.put_message(c, &StoredMessage::new(0, Message::user("x"), 1))
        .unwrap();
    s.conn
        .execute(
            "UPDATE messages SET content = '{\"role\":\"user\",\"content\":[{\"video\":{}}]}'",
            [],
        )
        .unwrap();
    match s.load(c) {
        Err(Error::Corrupt {
            conversation,
            seq: 0,
            reason,
        }) => {
            assert_eq!(conversation, c);
            assert!(reason.contains("video"), "{reason}");
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
    s.conn
        .execute("UPDATE messages SET content = 'not json'", [])
        .unwrap();
    assert!(matches!(s.load(c), Err(Error::Corrupt { .. })));
}

mod files {
    use super::*;
    use pretty_assertions::assert_eq;
    use std::fs;

    fn dir() -> tempfile::TempDir {
        tempfile::tempdir().expect("temp dir")
    }

    #[cfg(unix)]
    fn mode(p: &std::path::Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(p).expect("metadata").permissions().mode() & 0o777
    }

    #[cfg(unix)]
    #[test]
    fn fresh_file_and_dirs_are_private() {
        let d = dir();
        let path = d.path().join("new/nested/history.sqlite3");
        let mut s = Store::open(&path).unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&d.path().join("new")), 0o700);
        assert_eq!(mode(&d.path().join("new/nested")), 0o700);
        let c = s.create("t", "m", None, 0).unwrap();
        s.put_message(c, &StoredMessage::new(0, Message::user("secretless"), 1))
            .unwrap();
        let wal = d.path().join("new/nested/history.sqlite3-wal");
        assert!(wal.exists(), "WAL file expected while open");
        assert_eq!(mode(&wal), 0o600, "SQLite copies the db's mode to the WAL");
    }

    #[cfg(unix)]
    #[test]
    fn existing_file_mode_is_left_alone() {
        use std::os::unix::fs::PermissionsExt;
        let d = dir();
        let path = d.path().join("h.sqlite3");
        drop(Store::open(&path).unwrap());
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        drop(Store::open(&path).unwrap());
        assert_eq!(mode(&path), 0o640);
    }

    #[test]
    fn file_uses_wal_and_foreign_keys() {
        let d = dir();
        let path = d.path().join("h.sqlite3");
        let s = Store::open(&path).unwrap();
        let mode: String = s
            .conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = s
            .conn
            .pragma_query_value(None, "foreign_keys", |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1);
        // WAL is persistent: another connection sees it in the file.
        let other = rusqlite::Connection::open(&path).unwrap();
        let mode: String = other
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let version: i64 = other
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, schema::VERSION);
    }

    #[test]
    fn reopening_keeps_everything() {
        let d = dir();
        let path = d.path().join("h.sqlite3");
        let (c, before, hits) = {
            let mut s = Store::open(&path).unwrap();
            let c = sample(&mut s);
            let before = s.load(c).unwrap();
            (c, before, s.search("forecast", 10).unwrap())
        };
        assert_eq!(hits.len(), 1);
        let mut s = Store::open(&path).unwrap();
        assert_eq!(s.load(c).unwrap(), before);
        assert_eq!(s.search("forecast", 10).unwrap(), hits);
        assert_eq!(s.last().unwrap(), Some(c));
        assert_eq!(s.list(10, 0).unwrap().len(), 1);
        // And it is still writable, ids continuing.
        let c2 = s.create("second", "m", None, 10).unwrap();
        assert_ne!(c2, c);
        assert_fts_in_sync(&s);
    }

    #[test]
    fn a_newer_schema_is_refused_untouched() {
        let d = dir();
        let path = d.path().join("h.sqlite3");
        drop(Store::open(&path).unwrap());
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.pragma_update(None, "user_version", schema::VERSION + 1)
                .unwrap();
            // Back to a rollback journal, so that "left unchanged" includes the mode.
            let _: String = conn
                .pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get(0))
                .unwrap();
        }
        let bytes = fs::read(&path).unwrap();
        match Store::open(&path) {
            Err(Error::TooNew {
                found, supported, ..
            }) => {
                assert_eq!((found, supported), (schema::VERSION + 1, schema::VERSION));
            }
            other => panic!("expected TooNew, got {other:?}"),
        }
        assert_eq!(fs::read(&path).unwrap(), bytes, "the file was modified");
        let msg = Store::open(&path).unwrap_err().to_string();
        assert!(
            msg.contains(&format!("schema version {}", schema::VERSION + 1))
                && msg.contains("left unchanged"),
            "{msg}"
        );
    }

    #[test]
    fn other_files_are_refused_untouched() {
        let d = dir();
        let garbage = d.path().join("garbage");
        fs::write(
            &garbage,
            b"this is not sqlite at all, not even close........",
        )
        .unwrap();
        let bytes = fs::read(&garbage).unwrap();
        assert!(matches!(
            Store::open(&garbage),
            Err(Error::NotADatabase { .. })
        ));
        assert_eq!(fs::read(&garbage).unwrap(), bytes);

        let foreign = d.path().join("foreign.db");
        {
            let conn = rusqlite::Connection::open(&foreign).unwrap();
            conn.execute_batch("CREATE TABLE notes (x TEXT)").unwrap();
        }
        let bytes = fs::read(&foreign).unwrap();
        assert!(matches!(Store::open(&foreign), Err(Error::Foreign { .. })));
        assert_eq!(fs::read(&foreign).unwrap(), bytes);
    }

    #[test]
    fn unwritable_location_is_an_io_error() {
        let d = dir();
        let blocker = d.path().join("file");
        fs::write(&blocker, b"x").unwrap();
        // A parent that is a file cannot be created as a directory.
        match Store::open(blocker.join("h.sqlite3")) {
            Err(Error::Io { path, .. }) => assert_eq!(path, blocker.join("h.sqlite3")),
            other => panic!("expected Io, got {other:?}"),
        }
    }

    #[test]
    fn default_path_is_in_the_data_dir() {
        // Needs a home directory, which test machines have.
        let p = Store::default_path().expect("a data directory");
        assert!(
            p.ends_with("bedrock-tui/history.sqlite3"),
            "{}",
            p.display()
        );
    }
}

#[test]
fn guardrail_traces_are_kept_with_pii_masked() {
    use crate::guardrail::{Assessment, PiiEntity, SensitiveInformationPolicy, Trace};
    let mut s = mem();
    let c = s.create("Contact", "model-a", None, 0).unwrap();
    let pii = Assessment {
        sensitive_information_policy: Some(SensitiveInformationPolicy {
            pii_entities: vec![PiiEntity {
                matched: "jane@example.com".into(),
                kind: "EMAIL".into(),
                action: "ANONYMIZED".into(),
                detected: Some(true),
            }],
            regexes: vec![],
        }),
        ..Assessment::default()
    };
    let trace = Trace {
        guardrail: Some("demo:DRAFT".into()),
        input: vec![("demo".into(), Assessment::default())],
        outputs: vec![pii],
        action_reason: Some("Guardrail masked.".into()),
        model_output: vec!["Write to jane@example.com".into()],
    };
    let m = StoredMessage {
        stop: Some(StopReason::GuardrailIntervened),
        guardrail: Some(trace.clone()),
        ..StoredMessage::new(0, text(Role::Assistant, "Write to {EMAIL}", None), 1)
    };
    s.put_message(c, &m).unwrap();
    let stored: String = s
        .conn
        .query_row("SELECT guardrail FROM messages", [], |r| r.get(0))
        .unwrap();
    assert!(!stored.contains("jane@example.com"), "{stored}");
    let back = s.load(c).unwrap().messages.remove(0);
    assert_eq!(back.guardrail, Some(trace.redacted()));
    let entity = &back.guardrail.unwrap().outputs[0];
    let entity = &entity
        .sensitive_information_policy
        .as_ref()
        .unwrap()
        .pii_entities[0];
    assert_eq!(entity.matched, "j••••••••••••••m");
    assert_eq!(back.stop, Some(StopReason::GuardrailIntervened));
    let json = s.export_json(c).unwrap().to_string();
    assert!(json.contains("\"guardrailTrace\""), "{json}");
    assert!(json.contains("Guardrail masked."), "{json}");
    assert!(!json.contains("jane@example.com"), "{json}");
    let md = s.export_markdown(c).unwrap();
    assert!(
        md.contains("guardrail demo:DRAFT intervened: sensitiveInformationPolicy"),
        "{md}"
    );
}

#[test]
fn escape_sequences_in_old_rows_are_read_clean_and_titles_are_written_clean() {
    let mut s = mem();
    let id = s.create("New\x1b]2;pwned\x07 title", "m", None, 1).unwrap();
    assert_eq!(s.load(id).unwrap().title, "New title");
    s.put_message(id, &StoredMessage::new(0, Message::user("hi"), 1))
        .unwrap();
    // A history written before text was sanitized where it entered.
    s.conn
        .execute(
            "UPDATE conversations SET title = ?1, system = ?2",
            ["T\x1b]0;pwned\x07itle\x07", "S\x1b[2Jys\u{9b}1m"],
        )
        .unwrap();
    let content = json!({"role": "user", "content": [{"text": "a\x1b[31mb\x07c\u{202E}d\te"}]});
    s.conn
        .execute("UPDATE messages SET content = ?1", [content.to_string()])
        .unwrap();
    let conv = s.load(id).unwrap();
    assert_eq!(conv.title, "Title");
    assert_eq!(conv.system.as_deref(), Some("Sys"));
    assert_eq!(conv.messages[0].message.text(), "abcd\te");
    assert_eq!(s.list(10, 0).unwrap()[0].title, "Title");
    s.rename(id, "Re\x1bcnamed").unwrap();
    assert_eq!(s.load(id).unwrap().title, "Renamed");
    let md = s.export_markdown(id).unwrap();
    assert!(
        !md.chars().any(|c| c.is_control() && c != '\n' && c != '\t'),
        "{md:?}"
    );
}
