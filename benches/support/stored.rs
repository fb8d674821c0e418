//! A history holding one long conversation, for the benchmarks that resume it.

use bedrock_tui::conversation::{Message, Role};
use bedrock_tui::store::{Store, StoredMessage};

/// Writes a conversation of `n` short markdown messages (about 29 tokens each),
/// questions and answers in turn, into the history of the home `home`; with `model`,
/// or Claude 3 Haiku when a benchmark does not need a longer context.
pub fn conversation(home: &std::path::Path, n: u32, model: Option<&str>) {
    let path = home
        .join("data")
        .join("bedrock-tui")
        .join("history.sqlite3");
    let mut store = Store::open(&path).expect("history");
    let id = store
        .create(
            "A long conversation",
            model.unwrap_or("anthropic.claude-3-haiku-20240307-v1:0"),
            None,
            1,
        )
        .expect("create");
    for i in 0..n {
        let mut m = Message::user(format!(
            "Message {i}: **markdown** with `code` and enough words to wrap at least once on a wide terminal."
        ));
        if i % 2 == 1 {
            m.role = Role::Assistant;
        }
        store
            .put_message(id, &StoredMessage::new(i, m, i64::from(i) + 2))
            .expect("message");
    }
}
