//! The terminal: enter and leave full-screen mode, and make sure it is
//! restored whatever happens — normal exit, panic (in any thread or task), or
//! a signal.

use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::execute;
use ratatui::DefaultTerminal;
use std::io::Write;

/// Put the terminal back: leave the alternate screen, raw mode off, cursor
/// shown, bracketed paste off. Safe to call more than once.
pub fn restore() {
    let _ = execute!(std::io::stdout(), DisableBracketedPaste);
    ratatui::restore();
    let _ = execute!(std::io::stdout(), crossterm::cursor::Show);
    let _ = std::io::stdout().flush();
}

/// Enter full-screen mode. Installs a panic hook that logs the panic to the
/// diagnostics log and restores the terminal before the message is printed.
pub fn init() -> std::io::Result<DefaultTerminal> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        tracing::error!("panic: {info}");
        restore();
        previous(info);
    }));
    let terminal = ratatui::try_init()?;
    execute!(std::io::stdout(), EnableBracketedPaste)?;
    Ok(terminal)
}

/// Ring the terminal bell.
pub fn bell() {
    let mut out = std::io::stdout();
    let _ = out.write_all(b"\x07");
    let _ = out.flush();
}

/// Write raw bytes to the terminal (an OSC 52 clipboard sequence).
pub fn write_raw(bytes: &[u8]) {
    let mut out = std::io::stdout();
    let _ = out.write_all(bytes);
    let _ = out.flush();
}
