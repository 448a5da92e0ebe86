//! Running child processes: every command is echoed before it runs, and a failure names the
//! command and its exit status, so a CI log shows what broke without re-running anything.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, ExitStatus, Stdio};

use crate::{Context, Error, Result};

/// `program arg1 arg2`, for log lines and error messages (without the PATH we set, which
/// `Command`'s Debug output would include and which would drown the command itself).
pub fn describe(command: &Command) -> String {
    let mut text = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        text.push(' ');
        let arg = arg.to_string_lossy();
        if arg.contains(' ') {
            text.push_str(&format!("'{arg}'"));
        } else {
            text.push_str(&arg);
        }
    }
    text
}

/// Prints a progress line and flushes it, so it is not reordered with children's output.
pub fn say(line: impl std::fmt::Display) {
    let mut out = std::io::stdout().lock();
    // A closed stdout (e.g. `| head`) is not worth failing a build over.
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Runs a command with inherited stdio and fails unless it exits successfully.
pub fn run(command: &mut Command) -> Result<()> {
    let shown = describe(command);
    say(format!("$ {shown}"));
    let status = command
        .status()
        .map_err(|e| Error::new(format!("could not start `{shown}`: {e}")))?;
    check_status(&shown, status)
}

/// Fails with the command's name and exit status unless it succeeded.
pub fn check_status(shown: &str, status: ExitStatus) -> Result<()> {
    if status.success() {
        Ok(())
    } else {
        Err(Error::new(format!("`{shown}` failed ({status})")))
    }
}

/// Runs a command quietly and returns its trimmed stdout, or `None` when the program is missing
/// or fails: used for version probes (`trunk --version`), where either means "install it".
pub fn probe(command: &mut Command) -> Option<String> {
    let output = command
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    Some(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// Runs a command, copying its stdout line by line to ours as it arrives, and hands each line
/// to `inspect` (the e2e stage uses it to pick up the summary line). Returns the exit status
/// instead of failing, so the caller can still report what it saw.
pub fn run_tee(command: &mut Command, mut inspect: impl FnMut(&str)) -> Result<ExitStatus> {
    let shown = describe(command);
    say(format!("$ {shown}"));
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| Error::new(format!("could not start `{shown}`: {e}")))?;
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines() {
            let line = line.context(format!("reading the output of `{shown}`"))?;
            say(&line);
            inspect(&line);
        }
    }
    child.wait().context(format!("waiting for `{shown}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_shows_program_and_arguments_but_not_the_environment() {
        let mut command = Command::new("trunk");
        command
            .args(["build", "--public-url", "/foldlab/"])
            .env("PATH", "/secret/long/path");
        assert_eq!(describe(&command), "trunk build --public-url /foldlab/");
    }

    #[test]
    fn probe_of_a_missing_program_is_none() {
        assert_eq!(probe(&mut Command::new("xtask-no-such-program-here")), None);
    }

    #[test]
    fn a_failed_command_is_named_in_the_error() {
        let status = Command::new("false").status();
        let error = status
            .context("running false")
            .and_then(|s| check_status("false --flag", s));
        let message = error.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(message.starts_with("`false --flag` failed"), "{message}");
    }
}
