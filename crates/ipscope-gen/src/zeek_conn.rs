//! todo
use std::io::{self, Write};
use crate::SshConfig;
use crate::truth::Truth;
pub(crate) fn write<W: Write>(cfg: &SshConfig, out: W) -> io::Result<Truth> { crate::cowrie::write(cfg, out) }
