//! Keys of a comparison: what each becomes, and that typing goes nowhere.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::compare_key;
use crate::app::Msg;
use crate::app::compare::CompareKey as K;
use crate::keymap::Keymap;

fn key(code: KeyCode, modifiers: KeyModifiers) -> Option<Option<Msg>> {
    let ev = KeyEvent::new(code, modifiers);
    compare_key(ev, Keymap::default().action(&ev), 10)
}

fn plain(code: KeyCode) -> Option<Option<Msg>> {
    key(code, KeyModifiers::NONE)
}

#[test]
fn comparison_keys_choose_keep_stop_and_discard() {
    let msg = |k| Some(Some(Msg::Compare(k)));
    assert_eq!(plain(KeyCode::Right), msg(K::Next));
    assert_eq!(plain(KeyCode::Tab), msg(K::Next));
    assert_eq!(plain(KeyCode::Left), msg(K::Prev));
    assert_eq!(plain(KeyCode::Char('3')), msg(K::Select(2)));
    assert_eq!(plain(KeyCode::Enter), msg(K::Keep));
    assert_eq!(plain(KeyCode::Char('c')), msg(K::KeepCurrent));
    assert_eq!(plain(KeyCode::Esc), msg(K::Back));
    assert_eq!(
        key(KeyCode::Char('e'), KeyModifiers::CONTROL),
        msg(K::Discard)
    );
    assert_eq!(plain(KeyCode::Up), msg(K::Scroll(1)));
    assert_eq!(plain(KeyCode::PageDown), msg(K::Scroll(-10)));
}

#[test]
fn typing_goes_nowhere_and_other_bound_keys_act_as_ever() {
    assert_eq!(plain(KeyCode::Char('x')), Some(None));
    assert_eq!(plain(KeyCode::Char('5')), Some(None));
    // F1 (help) is passed on to the usual handling.
    assert_eq!(plain(KeyCode::F(1)), None);
}
