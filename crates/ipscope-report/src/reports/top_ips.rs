//! `top-ips`: source addresses ranked by events, with distinct users, first/last seen, active
//! period, events per day (events / max(period in days, 1)), sessions granted, and (from
//! enrichment) country, AS organisation and registered prefix.

use ipscope_store::{Query, Table};

use super::top::{self, Dimension};
use crate::{Params, Result};

pub const DIM: Dimension = Dimension {
    col: "src_ip",
    label: "ip",
    distinct_col: "username",
    distinct_label: "users",
    sessions: true,
    geo: true,
};

pub fn run(store: &dyn Query, p: &Params) -> Result<Table> {
    top::run(store, p, &DIM, p.dialect.bool(true))
}
