use std::collections::BTreeMap;

use serde_json::json;

use super::*;

fn printed(value: &impl Serialize) -> String {
    let mut out = Vec::new();
    json(&mut out, value).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn floats_are_plain_decimals_without_the_noise_of_their_last_bits() {
    // What a turn's cost computes to: 11 tokens at $1.10 per million.
    let noisy = 11.0 * 1.1e-6;
    assert_eq!(
        serde_json::to_string(&noisy).unwrap(),
        "0.000012100000000000001"
    );
    assert_eq!(decimal(noisy), "0.0000121");
    assert_eq!(decimal(0.1 + 0.2), "0.3");
    assert_eq!(decimal(2.45e-7), "0.000000245");
    assert_eq!(decimal(3.3), "3.3");
    assert_eq!(decimal(15.0), "15.0");
    assert_eq!(decimal(-0.5), "-0.5");
    assert_eq!(decimal(0.0), "0.0");
    assert_eq!(decimal(1e21), "1000000000000000000000.0");
}

#[test]
fn json_is_indented_with_readable_numbers_and_clean_strings() {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Report {
        cost_usd: serde_json::Value,
        tokens: u32,
        text: &'static str,
    }
    let v = Report {
        cost_usd: json!({"max": 0.1 + 0.2, "min": 11.0 * 1.1e-6}),
        tokens: 7,
        text: "a\x1b]0;title\x07b\x1b[31mc\u{9b}2J\td\r\ne\u{202E}\"q\"\\",
    };
    assert_eq!(
        printed(&v),
        "{\n  \"costUsd\": {\n    \"max\": 0.3,\n    \"min\": 0.0000121\n  },\n  \"tokens\": 7,\n  \
         \"text\": \"abc\\td\\ne\\\"q\\\"\\\\\"\n}\n"
    );
    let back: serde_json::Value = serde_json::from_str(&printed(&v)).unwrap();
    assert_eq!(back["costUsd"]["min"], 0.0000121);
    assert_eq!(back["text"], "abc\td\ne\"q\"\\");
}

#[test]
fn numbers_as_keys_and_f32_stay_valid_json() {
    let map: BTreeMap<i32, f32> = [(1, 0.1), (22, 2.5)].into();
    let text = printed(&map);
    assert_eq!(text, "{\n  \"1\": 0.1,\n  \"22\": 2.5\n}\n");
    let back: BTreeMap<String, f64> = serde_json::from_str(&text).unwrap();
    assert_eq!(back["1"], 0.1);
}

#[test]
fn only_a_closed_stdout_is_recognized_as_one() {
    let closed_pipe = anyhow::Error::from(mark_closed(io::Error::from(io::ErrorKind::BrokenPipe)));
    assert!(closed(&closed_pipe));
    assert!(closed(&closed_pipe.context("writing the answer")));
    // A broken pipe elsewhere (a socket, a child process) is a failure like any other.
    let other = anyhow::Error::from(io::Error::from(io::ErrorKind::BrokenPipe));
    assert!(!closed(&other));
    let other = anyhow::Error::from(mark_closed(io::Error::from(io::ErrorKind::NotFound)));
    assert!(!closed(&other));
}

#[test]
fn an_error_says_each_cause_once_without_escapes() {
    #[derive(Debug, thiserror::Error)]
    #[error("{path}: {source}")]
    struct Quoting {
        path: &'static str,
        source: io::Error,
    }
    let e = anyhow::Error::from(Quoting {
        path: "out/a.mp4",
        source: io::Error::other("disk full"),
    })
    .context("downloading the outputs");
    assert_eq!(
        error_message(&e),
        "downloading the outputs: out/a.mp4: disk full"
    );
    let e = anyhow::anyhow!("Throttled: \x1b]0;pwned\x07slow down");
    assert_eq!(error_message(&e), "Throttled: slow down");
}
