//! What lain prints, and where: data on stdout (so `$(lain image)` and pipes work), everything
//! meant for a person (commands run, progress, warnings) on stderr.
//!
//! One process-wide setting (`-s` / `-v`) decides how much is said; colour only on a terminal
//! and never when `NO_COLOR` is set.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU8, Ordering};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Verbosity {
    /// `-s`: only errors and data.
    Silent = 0,
    Normal = 1,
    /// `-v`: also debugging detail.
    Verbose = 2,
}

static VERBOSITY: AtomicU8 = AtomicU8::new(Verbosity::Normal as u8);

pub fn set_verbosity(v: Verbosity) {
    VERBOSITY.store(v as u8, Ordering::Relaxed);
}

pub fn verbosity() -> Verbosity {
    match VERBOSITY.load(Ordering::Relaxed) {
        0 => Verbosity::Silent,
        1 => Verbosity::Normal,
        _ => Verbosity::Verbose,
    }
}

/// Whether stderr is a terminal that wants colour.
pub fn color() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal()
}

/// Whether lain may ask questions or draw full-screen UIs: both ends are terminals and this is
/// not CI. Everything interactive checks this, so CI never hangs on a prompt.
pub fn interactive() -> bool {
    std::env::var_os("CI").is_none() && std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

fn paint(code: &str, s: &str) -> String {
    if color() { format!("\x1b[{code}m{s}\x1b[0m") } else { s.to_string() }
}

fn say(line: &str) {
    let mut e = std::io::stderr().lock();
    // A closed stderr is not worth crashing over.
    let _ = writeln!(e, "{line}");
}

/// A third-party command about to run (always shown unless `-s`).
pub fn command(cmd: &str) {
    if verbosity() >= Verbosity::Normal {
        say(&paint("2", &format!("$ {cmd}")));
    }
}

pub fn info(msg: &str) {
    if verbosity() >= Verbosity::Normal {
        say(msg);
    }
}

pub fn success(msg: &str) {
    if verbosity() >= Verbosity::Normal {
        say(&paint("32", msg));
    }
}

/// Warnings are shown even with `-s`: they are about something the user should act on.
pub fn warn(msg: &str) {
    say(&paint("33", &format!("warning: {msg}")));
}

pub fn debug(msg: &str) {
    if verbosity() >= Verbosity::Verbose {
        say(&paint("2", msg));
    }
}

/// Data for stdout (machine-readable results). A closed pipe (`lain version | head`) is fine.
pub fn data(s: &str) {
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(s.as_bytes());
    if !s.ends_with('\n') {
        let _ = o.write_all(b"\n");
    }
}
