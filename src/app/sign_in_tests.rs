use super::*;
use crate::app::effect::Save;
use crate::app::msg::Msg;
use crate::app::turn::TurnEvent;
use crate::app::update;
use crate::conversation::Role;

fn expired() -> BedrockError {
    BedrockError::Expired {
        message: "the SSO token has expired.".into(),
        profile: " --profile dev".into(),
    }
}

/// An app whose one question failed with `error`.
fn failed_with(error: BedrockError, refresh: Option<&str>) -> App {
    let mut app = App::new("anthropic.claude-haiku-4-5-20251001-v1:0");
    app.auth_refresh = refresh.map(str::to_owned);
    update(&mut app, Msg::Submit("What is SigV4?".into()));
    let (id, _) = app.turn.expect("a turn started");
    update(&mut app, Msg::TurnFailed { id, error });
    app
}

#[test]
fn an_expired_session_offers_the_configured_command_and_runs_it_only_on_yes() {
    let mut app = failed_with(expired(), Some("aws sso login --profile dev"));
    assert_eq!(app.overlay, Overlay::SignIn);
    assert_eq!(update(&mut app, Msg::SignIn(false)), Vec::new());
    assert_eq!(app.overlay, Overlay::None);

    let mut app = failed_with(expired(), Some("aws sso login --profile dev"));
    assert_eq!(
        update(&mut app, Msg::SignIn(true)),
        vec![Effect::SignIn("aws sso login --profile dev".into())]
    );
    assert_eq!(app.overlay, Overlay::None);
    // A second answer (a key pressed twice) runs nothing more.
    assert_eq!(update(&mut app, Msg::SignIn(true)), Vec::new());
}

#[test]
fn after_signing_in_the_failed_question_is_asked_again_once() {
    let mut app = failed_with(expired(), Some("aws sso login"));
    update(&mut app, Msg::SignIn(true));
    let effects = update(&mut app, Msg::SignedIn(Ok(())));
    assert!(
        effects.contains(&Effect::Save(Save::Truncate(1))),
        "{effects:?}"
    );
    let request = effects
        .iter()
        .find_map(|e| match e {
            Effect::StartTurn { request, .. } => Some(request.clone()),
            _ => None,
        })
        .expect("the question is sent again");
    let roles: Vec<Role> = request.messages.iter().map(|m| m.role).collect();
    assert_eq!(roles, vec![Role::User]);
    assert_eq!(request.messages[0].text(), "What is SigV4?");
    assert!(app.streaming());
    let (id, _) = app.turn.unwrap();
    update(
        &mut app,
        Msg::Turn {
            id,
            event: TurnEvent::Text("Signature v4.".into()),
        },
    );
    update(&mut app, Msg::TurnDone { id });
    assert_eq!(app.entries.len(), 2);
}

#[test]
fn a_failed_sign_in_keeps_the_question_and_says_how_to_retry() {
    let mut app = failed_with(expired(), Some("aws sso login"));
    update(&mut app, Msg::SignIn(true));
    assert_eq!(
        update(&mut app, Msg::SignedIn(Err("exit status: 255".into()))),
        Vec::new()
    );
    let said = app
        .notice
        .clone()
        .map(|n| n.text().to_owned())
        .unwrap_or_default();
    assert!(
        said.starts_with("Signing in failed: exit status: 255."),
        "{said}"
    );
    assert_eq!(app.entries[0].message.text(), "What is SigV4?");
}

#[test]
fn nothing_is_offered_without_a_command_or_for_other_errors() {
    let app = failed_with(expired(), None);
    assert_eq!(app.overlay, Overlay::None);
    let app = failed_with(
        BedrockError::Unavailable {
            message: "down".into(),
        },
        Some("aws sso login"),
    );
    assert_eq!(app.overlay, Overlay::None);
}
