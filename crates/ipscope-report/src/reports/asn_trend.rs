//! `asn-trend --asn N`: one (or a few) ASN's daily events and distinct addresses — `daily`
//! narrowed to the ASN, refusing to run without one.

use ipscope_store::{Query, Table};

use crate::{Params, ReportError, Result};

pub fn run(store: &dyn Query, p: &Params) -> Result<Table> {
    if p.filter.asns.is_empty() {
        return Err(ReportError::Invalid("asn-trend needs --asn N (one or more, comma-separated)".into()));
    }
    super::daily::run(store, p)
}
