//! `generate`: the man page and shell completions, from the command-line definition itself (so
//! they never disagree with `--help`). The Debian package ships them (`packaging/deb.sh`).

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::{Cli, GenerateArgs, Generated};

pub fn run(a: &GenerateArgs) -> Result<ExitCode> {
    let mut cmd = Cli::command();
    let mut out = io::BufWriter::new(io::stdout().lock());
    let shell = match a.what {
        Generated::Man => {
            match &a.dir {
                Some(dir) => {
                    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
                    clap_mangen::generate_to(cmd, dir)
                        .with_context(|| format!("cannot write man pages into {}", dir.display()))?;
                }
                None => clap_mangen::Man::new(cmd).render(&mut out)?,
            }
            out.flush()?;
            return Ok(ExitCode::SUCCESS);
        }
        Generated::Bash => Shell::Bash,
        Generated::Zsh => Shell::Zsh,
        Generated::Fish => Shell::Fish,
        Generated::Elvish => Shell::Elvish,
        Generated::Powershell => Shell::PowerShell,
    };
    clap_complete::generate(shell, &mut cmd, "ipscope", &mut out);
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
