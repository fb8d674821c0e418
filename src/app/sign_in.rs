//! Signing in again when the AWS session expires: the config's `auth_refresh` command
//! is offered, runs only when the user says yes (on the terminal, the screen
//! suspended), and the failed question is then asked again.

use super::effect::Effect;
use super::error::BedrockError;
use super::state::{App, EntryState, Notice, Overlay};
use super::turn;

/// After a turn ends: offers the sign-in command when the turn failed because the
/// session expired and the config names one.
pub(super) fn offer(app: &mut App) {
    let expired = app
        .entries
        .last()
        .is_some_and(|e| matches!(e.state, EntryState::Failed(BedrockError::Expired { .. })));
    if expired && app.auth_refresh.is_some() && !app.streaming() {
        app.overlay = Overlay::SignIn;
    }
}

/// The user's answer to the offer.
pub(super) fn answer(app: &mut App, yes: bool) -> Vec<Effect> {
    if app.overlay != Overlay::SignIn {
        return Vec::new();
    }
    app.overlay = Overlay::None;
    match (&app.auth_refresh, yes) {
        (Some(command), true) => vec![Effect::SignIn(command.clone())],
        _ => Vec::new(),
    }
}

/// The sign-in command ended: on success the failed question is asked again.
pub(super) fn finished(app: &mut App, result: Result<(), String>) -> Vec<Effect> {
    match result {
        Ok(()) => {
            app.tell(Notice::Info("Signed in again; asking again.".into()));
            turn::regenerate(app)
        }
        Err(e) => {
            app.tell(Notice::Error(format!(
                "Signing in failed: {e}. The question is kept; {} asks again.",
                app.retry_key
            )));
            Vec::new()
        }
    }
}

#[cfg(test)]
#[path = "sign_in_tests.rs"]
mod tests;
