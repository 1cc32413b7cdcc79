//! `top-users`: user names ranked by events (including the names attackers guess), with
//! distinct source addresses, first/last seen, active period and events per day.

use ipscope_store::{Query, Table};

use super::top::{self, Dimension};
use crate::{Params, Result};

pub const DIM: Dimension = Dimension {
    col: "username",
    label: "user",
    distinct_col: "src_ip",
    distinct_label: "ips",
    sessions: false,
    geo: false,
};

pub fn run(store: &dyn Query, p: &Params) -> Result<Table> {
    top::run(store, p, &DIM, p.dialect.bool(true))
}
