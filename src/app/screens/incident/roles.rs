//! Roles on an incident: incident commander, scribe, comms. `C` asks for a
//! role and who gets it (yourself when no name is given); the change is an
//! event, so every responder's screen and the postmortem show it.

use crate::app::action::Notice;
use crate::app::context::Cx;
use crate::app::overlays::{PromptKind, open_prompt};
use crate::app::session::{Session, emit};
use crate::app::widgets::input::TextInput;
use crate::incident::EventKind;
use crate::incident::event::ROLES;

/// `C`: ask which role and for whom.
pub fn ask(s: &Session, cx: &mut Cx) {
    if s.read_only.is_some() {
        return cx
            .notices
            .push(Notice::info("this incident is read-only here"));
    }
    let now: Vec<String> = s
        .incident
        .roles
        .iter()
        .map(|(r, who)| format!("{r}: {who}"))
        .collect();
    let help = format!(
        "A role, then who (you if nobody): `commander`, `scribe bob`, `comms carol`.{} Enter: assign, Esc: cancel.",
        if now.is_empty() {
            String::new()
        } else {
            format!(" Now: {}.", now.join(", "))
        }
    );
    *cx.overlay = Some(open_prompt(
        PromptKind::Role,
        "Take or hand off a role",
        help,
        TextInput::new("commander", false),
    ));
}

/// The role prompt was submitted: `<role> [responder]`.
pub fn submit(s: &mut Session, cx: &mut Cx, text: &str) -> Result<(), String> {
    let mut words = text.split_whitespace();
    let role = words.next().unwrap_or("").to_ascii_lowercase();
    let role = match role.as_str() {
        "ic" | "incident-commander" | "lead" => "commander".to_owned(),
        _ => role,
    };
    if !ROLES.contains(&role.as_str()) {
        return Err(format!("`{role}` is not a role: use {}", ROLES.join(", ")));
    }
    let who: Vec<&str> = words.collect();
    let who = if who.is_empty() {
        s.incident.responder().to_owned()
    } else {
        who.join(" ")
    };
    if who.chars().any(char::is_control) || who.len() > 64 {
        return Err("a responder's name: one line, at most 64 bytes".into());
    }
    let from = s.incident.roles.get(&role).cloned();
    if from.as_deref() == Some(who.as_str()) {
        return Err(format!("{who} is already {role}"));
    }
    emit(
        s,
        EventKind::RoleAssigned {
            role,
            responder: who,
            from,
        },
        cx.now,
        cx.fx,
    );
    Ok(())
}
