//! Chat templates inside single-prompt formats: Llama 3/4 header tokens, `[INST]`
//! instructions (Mistral, Llama 2) and Titan's "User:/Bot:" transcripts, turned back
//! into system prompt and turns.

use crate::conversation::{Block, Message, Role};

use super::push_block;

/// A conversation recovered from a prompt.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Turns {
    pub system: Option<String>,
    pub messages: Vec<Message>,
}

impl Turns {
    fn add(&mut self, role: Role, text: &str) {
        let text = text.trim();
        if !text.is_empty() {
            push_block(&mut self.messages, role, Block::Text(text.to_owned()));
        }
    }

    fn add_system(&mut self, text: &str) {
        let text = text.trim();
        if text.is_empty() {
            return;
        }
        match &mut self.system {
            Some(s) => {
                s.push('\n');
                s.push_str(text);
            }
            None => self.system = Some(text.to_owned()),
        }
    }
}

/// Llama 3 (`<|start_header_id|>role<|end_header_id|> ... <|eot_id|>`) and Llama 4
/// (`<|header_start|>role<|header_end|> ... <|eot|>`) chat templates.
pub(super) fn llama(prompt: &str) -> Option<Turns> {
    const TEMPLATES: [(&str, &str, [&str; 2]); 2] = [
        (
            "<|start_header_id|>",
            "<|end_header_id|>",
            ["<|eot_id|>", "<|eom_id|>"],
        ),
        ("<|header_start|>", "<|header_end|>", ["<|eot|>", "<|eom|>"]),
    ];
    let (start, end, eots) = TEMPLATES.into_iter().find(|(s, _, _)| prompt.contains(s))?;
    let mut turns = Turns::default();
    for segment in prompt.split(start).skip(1) {
        let Some((role, rest)) = segment.split_once(end) else {
            continue;
        };
        let content = eots
            .iter()
            .filter_map(|e| rest.find(e))
            .min()
            .map_or(rest, |i| &rest[..i]);
        match role.trim() {
            "system" => turns.add_system(content),
            "assistant" => turns.add(Role::Assistant, content),
            _ => turns.add(Role::User, content),
        }
    }
    Some(turns)
}

/// `<s>[INST] question [/INST] answer</s>[INST] ...` with an optional Llama 2
/// `<<SYS>> ... <</SYS>>` system prompt in the first instruction.
pub(super) fn inst(prompt: &str) -> Option<Turns> {
    if !prompt.contains("[INST]") {
        return None;
    }
    let mut turns = Turns::default();
    for part in prompt.split("[INST]").skip(1) {
        let (mut user, answer) = part.split_once("[/INST]").unwrap_or((part, ""));
        let owned;
        if let (Some(a), Some(b)) = (user.find("<<SYS>>"), user.find("<</SYS>>"))
            && a < b
        {
            turns.add_system(&user[a + 7..b]);
            owned = format!("{}{}", &user[..a], &user[b + 8..]);
            user = &owned;
        }
        turns.add(Role::User, user);
        turns.add(
            Role::Assistant,
            &answer.replace("</s>", "").replace("<s>", ""),
        );
    }
    Some(turns)
}

/// Titan's transcript convention: lines starting `User:` and `Bot:`; text before the
/// first turn is the system prompt, and a trailing empty `Bot:` is where the answer goes.
pub(super) fn transcript(text: &str) -> Option<Turns> {
    let mut turns = Turns::default();
    let mut role: Option<Role> = None;
    let mut buf = String::new();
    let mut seen_user = false;
    let flush = |turns: &mut Turns, role: Option<Role>, buf: &mut String| {
        match role {
            Some(r) => turns.add(r, buf),
            None => turns.add_system(buf),
        }
        buf.clear();
    };
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let next = if let Some(rest) = trimmed.strip_prefix("User:") {
            Some((Role::User, rest))
        } else {
            trimmed
                .strip_prefix("Bot:")
                .map(|rest| (Role::Assistant, rest))
        };
        match next {
            Some((r, rest)) => {
                flush(&mut turns, role, &mut buf);
                seen_user |= r == Role::User;
                role = Some(r);
                buf.push_str(rest);
            }
            None => buf.push_str(line),
        }
    }
    flush(&mut turns, role, &mut buf);
    seen_user.then_some(turns)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles(t: &Turns) -> Vec<(Role, String)> {
        t.messages.iter().map(|m| (m.role, m.text())).collect()
    }

    #[test]
    fn reads_llama3_headers() {
        let p = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>\
                 <|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>\
                 <|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>\
                 <|start_header_id|>user<|end_header_id|>\n\nWhat is Rust?<|eot_id|>\
                 <|start_header_id|>assistant<|end_header_id|>\n\n";
        let t = llama(p).unwrap();
        assert_eq!(t.system.as_deref(), Some("Be brief."));
        assert_eq!(
            roles(&t),
            vec![
                (Role::User, "Hi there".into()),
                (Role::Assistant, "Hello!".into()),
                (Role::User, "What is Rust?".into())
            ]
        );
        let t4 = llama("<|header_start|>user<|header_end|>\n\nHey<|eot|><|header_start|>assistant<|header_end|>").unwrap();
        assert_eq!(roles(&t4), vec![(Role::User, "Hey".into())]);
        assert!(llama("plain text").is_none());
    }

    #[test]
    fn reads_inst_prompts() {
        let t = inst("<s>[INST] <<SYS>>\nBe kind.\n<</SYS>>\n\nFirst? [/INST] One.</s>[INST] Second? [/INST]").unwrap();
        assert_eq!(t.system.as_deref(), Some("Be kind."));
        assert_eq!(
            roles(&t),
            vec![
                (Role::User, "First?".into()),
                (Role::Assistant, "One.".into()),
                (Role::User, "Second?".into())
            ]
        );
        assert!(inst("no markers").is_none());
    }

    #[test]
    fn reads_titan_transcripts() {
        let t =
            transcript("You are terse.\nUser: hi\nBot: hello\nUser: what is 2+2?\nBot:").unwrap();
        assert_eq!(t.system.as_deref(), Some("You are terse."));
        assert_eq!(
            roles(&t),
            vec![
                (Role::User, "hi".into()),
                (Role::Assistant, "hello".into()),
                (Role::User, "what is 2+2?".into())
            ]
        );
        assert!(transcript("Summarize this text.\nBot: fine").is_none());
    }
}
