//! Entering and leaving full-screen mode. The terminal is drawn on stderr (stdout stays for
//! data), and is restored on every way out: normal return, error (the guard's Drop) and panic
//! (a hook that restores before the panic message is printed, so the message is readable and
//! the shell is usable).

use std::io::{self, Stderr};

use crossterm::cursor::{Hide, Show};
use crossterm::execute;
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

pub type Term = Terminal<CrosstermBackend<Stderr>>;

/// Restores the terminal when dropped.
pub struct Guard {
    pub terminal: Term,
}

pub fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(io::stderr(), LeaveAlternateScreen, Show);
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
}

pub fn enter() -> io::Result<Guard> {
    install_panic_hook();
    enable_raw_mode()?;
    let mut err = io::stderr();
    if let Err(e) = execute!(err, EnterAlternateScreen, Hide) {
        restore();
        return Err(e);
    }
    let terminal = match Terminal::new(CrosstermBackend::new(io::stderr())) {
        Ok(t) => t,
        Err(e) => {
            restore();
            return Err(e);
        }
    };
    Ok(Guard { terminal })
}

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
        // The hook that restores is only needed while the screen is taken; put back the
        // default so later panics in the process print normally.
        let _ = std::panic::take_hook();
    }
}
