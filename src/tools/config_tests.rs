//! The tools part of the config: what it reads, and every mistake refused with the
//! file, line and column it is at.

use std::path::Path;

use crate::config::parse;
use crate::tools::Transport;

fn err(text: &str) -> String {
    parse(text, Path::new("/cfg/config.toml"))
        .unwrap_err()
        .to_string()
}

const WEATHER: &str = r#"
[[tools]]
name = "get_weather"
description = "The weather"
input_schema = { type = "object", properties = { city = { type = "string" } } }
command = ["python3", "weather.py"]
"#;

#[test]
fn reads_tools_servers_and_limits() {
    let text = format!(
        r#"max_tool_rounds = 3
max_result_bytes = 2048
{WEATHER}timeout = 5
env = {{ UNITS = "metric" }}
pass_env = ["PATH", "BEDROCK_TUI_TEST_UNSET"]
auto_approve = true

[[mcp_servers]]
name = "time"
command = "mcp-server-time"
args = ["--local-timezone", "UTC"]
auto_approve = ["get_current_time"]

[[mcp_servers]]
name = "docs"
url = "https://mcp.example.com/mcp"
headers = {{ Authorization = "Bearer x" }}
"#
    );
    let c = parse(&text, Path::new("/cfg/config.toml")).unwrap();
    let t = &c.tools;
    assert_eq!((t.max_rounds, t.max_result_bytes), (3, 2048));
    let w = &t.commands[0];
    assert_eq!(w.spec.name, "get_weather");
    assert_eq!(w.argv, ["python3", "weather.py"]);
    assert_eq!(w.timeout.as_secs(), 5);
    assert!(w.auto_approve);
    // Only what is listed: UNITS, and PATH as the app has it; an unset name is left out.
    let env: Vec<&str> = w.env.keys().map(String::as_str).collect();
    assert_eq!(env, ["PATH", "UNITS"]);
    assert_eq!(w.env["PATH"], std::env::var("PATH").unwrap());
    assert_eq!(t.servers[0].name, "time");
    assert!(t.servers[0].approves("get_current_time") && !t.servers[0].approves("convert_time"));
    assert!(
        matches!(&t.servers[1].transport, Transport::Http { url, .. } if url == "https://mcp.example.com/mcp")
    );
    assert_eq!(t.command_tools()[0].spec.name, "get_weather");
}

#[test]
fn a_schema_file_is_read_relative_to_the_config() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("s.json"),
        r#"{"type": "object", "properties": {"q": {"type": "string"}}}"#,
    )
    .unwrap();
    let text = "[[tools]]\nname = \"search\"\ninput_schema = \"s.json\"\ncommand = [\"search\"]\n";
    let c = parse(text, &dir.path().join("config.toml")).unwrap();
    assert_eq!(
        c.tools.commands[0].spec.input_schema["properties"]["q"]["type"],
        "string"
    );
    let e = parse(
        &text.replace("s.json", "missing.json"),
        &dir.path().join("config.toml"),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains(":3:16: [[tools]] search: cannot read input_schema"),
        "{e}"
    );
}

#[test]
fn mistakes_are_refused_with_their_place() {
    let cases = [
        (
            WEATHER.replace("get_weather", "get weather"),
            "/cfg/config.toml:3:8: [[tools]]: 'get weather' is not a tool name Converse accepts",
        ),
        (
            WEATHER.replace(
                "type = \"object\", properties",
                "type = \"string\", properties",
            ),
            "/cfg/config.toml:5:16: [[tools]] get_weather: input_schema must be a JSON Schema of type \"object\"",
        ),
        (
            WEATHER.replace("{ type = \"string\" }", "{ type = 5 }"),
            "/cfg/config.toml:5:16: [[tools]] get_weather: input_schema is not a valid JSON Schema",
        ),
        (
            WEATHER.replace("[\"python3\", \"weather.py\"]", "[]"),
            "/cfg/config.toml:6:11: [[tools]] get_weather: command must name a program",
        ),
        (
            WEATHER.replace("[\"python3\", \"weather.py\"]", "\"python3 weather.py\""),
            "/cfg/config.toml:6:11: invalid type: string \"python3 weather.py\", expected a sequence",
        ),
        (
            format!("{WEATHER}timeout = 0\n"),
            "/cfg/config.toml:7:11: [[tools]] get_weather: timeout must be a number of seconds above 0",
        ),
        (
            format!("{WEATHER}{WEATHER}"),
            "/cfg/config.toml:9:8: [[tools]]: a second tool named 'get_weather'",
        ),
        (
            "[[mcp_servers]]\nname = \"a__b\"\ncommand = \"x\"\n".to_owned(),
            "/cfg/config.toml:2:8: [[mcp_servers]]: 'a__b' is not a server name",
        ),
        (
            "[[mcp_servers]]\nname = \"t\"\n".to_owned(),
            "/cfg/config.toml:2:8: [[mcp_servers]] t: give either command (a stdio server) or url (streamable HTTP)",
        ),
        (
            "[[mcp_servers]]\nname = \"t\"\ncommand = \"x\"\nurl = \"http://h\"\n".to_owned(),
            "/cfg/config.toml:2:8: [[mcp_servers]] t: give either command",
        ),
        (
            "[[mcp_servers]]\nname = \"t\"\nurl = \"ftp://h\"\n".to_owned(),
            "/cfg/config.toml:3:7: [[mcp_servers]] t: url must be an http:// or https:// address",
        ),
        (
            "max_tool_rounds = 0\n".to_owned(),
            "/cfg/config.toml:1:19: max_tool_rounds must be 1 or more",
        ),
        (
            "[[tools]]\nname = \"x\"\nshell = \"rm -rf /\"\n".to_owned(),
            "/cfg/config.toml:3:1: unknown field `shell`",
        ),
    ];
    for (text, want) in cases {
        let got = err(&text);
        assert!(got.starts_with(want), "{text}\ngot:  {got}\nwant: {want}");
    }
}

#[test]
fn always_approving_writes_auto_approve_and_keeps_the_rest_of_the_file() {
    use crate::tools::Source;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let text = format!(
        "# my settings\nregion = \"eu-west-1\"  # Ireland\n{WEATHER}\n[[mcp_servers]]\nname = \"time\"\ncommand = \"mcp-server-time\"\n"
    );
    std::fs::write(&path, &text).unwrap();
    let said = crate::config::approve(&path, "get_weather", &Source::Command).unwrap();
    assert!(said.contains("get_weather runs without asking"), "{said}");
    let mcp = Source::Mcp {
        server: "time".into(),
        remote: "get_current_time".into(),
    };
    crate::config::approve(&path, "time__get_current_time", &mcp).unwrap();
    crate::config::approve(&path, "time__get_current_time", &mcp).unwrap();
    let after = std::fs::read_to_string(&path).unwrap();
    assert!(
        after.starts_with("# my settings\nregion = \"eu-west-1\"  # Ireland\n"),
        "{after}"
    );
    let c = parse(&after, &path).unwrap();
    assert!(c.tools.commands[0].auto_approve);
    assert_eq!(c.tools.servers[0].auto_approve, ["get_current_time"]);

    let gone = Source::Mcp {
        server: "nope".into(),
        remote: "x".into(),
    };
    let e = crate::config::approve(&path, "nope__x", &gone).unwrap_err();
    assert!(e.contains("no [[mcp_servers]] entry named nope"), "{e}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        after,
        "a failure changes nothing"
    );
}
