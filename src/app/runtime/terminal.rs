//! The terminal: enter and leave full-screen mode, and make sure it is
//! restored whatever happens — normal exit, panic (in any thread or task), or
//! a signal.

use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::execute;
use ratatui::DefaultTerminal;
use std::io::Write;
use std::sync::OnceLock;
use tokio::sync::mpsc;

/// Put the terminal back: leave the alternate screen, raw mode off, cursor
/// shown, bracketed paste off. Safe to call more than once.
pub fn restore() {
    let _ = execute!(std::io::stdout(), DisableBracketedPaste);
    ratatui::restore();
    let _ = execute!(std::io::stdout(), crossterm::cursor::Show);
    let _ = std::io::stdout().flush();
}

static PANICS: OnceLock<mpsc::UnboundedSender<String>> = OnceLock::new();

/// Panics in background threads and tasks arrive here, so the main loop can
/// end the app cleanly (save, restore the terminal) instead of drawing on
/// as if nothing happened. Call before [`init`].
pub fn panic_reports() -> mpsc::UnboundedReceiver<String> {
    let (tx, rx) = mpsc::unbounded_channel();
    let _ = PANICS.set(tx);
    rx
}

/// Enter full-screen mode. Installs a panic hook that logs the panic to the
/// diagnostics log. A panic on the main thread restores the terminal before
/// the message is printed; one in a background thread or task is reported to
/// the main loop, which saves and exits.
pub fn init() -> std::io::Result<DefaultTerminal> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        tracing::error!("panic: {info}");
        let on_main = std::thread::current().name() == Some("main");
        match PANICS.get() {
            Some(tx) if !on_main => {
                let _ = tx.send(info.to_string());
            }
            _ => {
                restore();
                previous(info);
            }
        }
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
