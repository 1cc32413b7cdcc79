//! A validating, shallow JSON scanner for one Cowrie line: the whole line is checked against
//! RFC 8259 (what `serde_json` accepts, including its nesting limit, its rejection of lone
//! surrogates and of numbers beyond `f64`), but only the top-level fields are kept, as borrowed
//! spans. Nested arrays and objects (`kexAlgs`, `scans`, ...) are validated and skipped without
//! allocating, which is what makes this ~5x faster than building a `serde_json::Value` for the
//! long `cowrie.client.version` / `.kex` lines. The differential tests below hold it to
//! `serde_json`'s verdict.

use std::borrow::Cow;

/// Nesting of arrays/objects must stay below this (at most 127 levels): `serde_json`'s recursion
/// limit, so both agree on what is JSON, and the recursion here stays shallow on hostile input.
pub(crate) const MAX_DEPTH: usize = 128;

/// Why a line is not a JSON object.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NotObject {
    /// Not JSON at all.
    Invalid,
    /// Valid JSON, but an array, string, number, `true`/`false`/`null`.
    OtherValue,
}

/// A string as written between its quotes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Str<'a> {
    raw: &'a str,
    escaped: bool,
}

impl<'a> Str<'a> {
    /// The string with its escapes decoded (borrowed when it has none).
    pub(crate) fn decode(&self) -> Cow<'a, str> {
        if !self.escaped {
            return Cow::Borrowed(self.raw);
        }
        let mut out = String::with_capacity(self.raw.len());
        let mut rest = self.raw;
        while let Some(p) = rest.find('\\') {
            out.push_str(rest.get(..p).unwrap_or_default());
            let esc = rest.get(p + 1..).unwrap_or_default();
            let (n, c) = match esc.as_bytes().first() {
                Some(b'u') => {
                    // A validated \uXXXX, or a validated surrogate pair \uXXXX\uXXXX.
                    let hi = hex4(esc.get(1..5).unwrap_or_default());
                    if (0xD800..0xDC00).contains(&hi) {
                        let lo = hex4(esc.get(7..11).unwrap_or_default());
                        (11, char::decode_utf16([hi, lo]).next().and_then(Result::ok))
                    } else {
                        (5, char::from_u32(u32::from(hi)))
                    }
                }
                Some(&b) => (1, Some(unescape(b))),
                None => (0, None),
            };
            out.push(c.unwrap_or(char::REPLACEMENT_CHARACTER));
            rest = esc.get(n..).unwrap_or_default();
        }
        out.push_str(rest);
        Cow::Owned(out)
    }

    fn is(&self, key: &str) -> bool {
        if self.escaped {
            return self.decode() == key;
        }
        // Length and both ends first: a line's keys of one length mostly differ there
        // (`src_ip` / `dst_ip`, `session` / `message`), which saves most calls to `memcmp`.
        let (a, b) = (self.raw.as_bytes(), key.as_bytes());
        a.len() == b.len() && a.first() == b.first() && a.last() == b.last() && a == b
    }
}

fn unescape(b: u8) -> char {
    match b {
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        other => char::from(other),
    }
}

fn hex4(s: &str) -> u16 {
    u16::from_str_radix(s, 16).unwrap_or(0xFFFD)
}

/// A top-level field's value. Arrays and objects are validated but not kept.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Val<'a> {
    Str(Str<'a>),
    /// A number as written (valid JSON grammar, finite as an `f64`).
    Num(&'a str),
    Bool(bool),
    Null,
    Array,
    Object,
}

/// The top-level fields of one JSON object, in order (a repeated key: the last one wins, as in
/// `serde_json`).
pub(crate) struct Object<'a> {
    fields: Vec<(Str<'a>, Val<'a>)>,
}

impl<'a> Object<'a> {
    pub(crate) fn get(&self, key: &str) -> Option<Val<'a>> {
        self.fields.iter().rev().find(|(k, _)| k.is(key)).map(|&(_, v)| v)
    }

    /// A string field (decoded), `None` if absent or not a string.
    pub(crate) fn str(&self, key: &str) -> Option<Cow<'a, str>> {
        match self.get(key)? {
            Val::Str(s) => Some(s.decode()),
            _ => None,
        }
    }

    pub(crate) fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
}

/// Parse `line` as one JSON object.
pub(crate) fn object(line: &[u8]) -> Result<Object<'_>, NotObject> {
    let s = std::str::from_utf8(line).map_err(|_| NotObject::Invalid)?;
    let mut sc = Scan { s, b: line, i: 0 };
    sc.ws();
    let mut fields = Vec::with_capacity(24);
    let is_object = sc.peek() == Some(b'{');
    if is_object {
        sc.object(1, Some(&mut fields))?;
    } else {
        sc.value(0)?;
    }
    sc.ws();
    if sc.i != line.len() {
        return Err(NotObject::Invalid);
    }
    if is_object { Ok(Object { fields }) } else { Err(NotObject::OtherValue) }
}

/// The index of the first byte of `b` that ends a JSON string's plain run: `"`, `\` or a
/// control character (below 0x20, not allowed raw in a string).
///
/// By hand, eight bytes at a time (SWAR), because no crate searches for two bytes and a range
/// at once (`memchr2` plus a second pass for the control characters measured slower on
/// Cowrie's short strings); byte by byte with three tests, this was a quarter of the Cowrie
/// parser's instructions. For each 8-byte word, `(v - 0x01…) & !v & 0x80…` marks its zero
/// bytes and `(x - 0x20…) & !x & 0x80…` its bytes below 0x20 (bytes ≥ 0x80, such as UTF-8
/// continuation bytes, are never marked); a borrow can mark bytes after a true mark but never
/// before one, so the lowest mark is exact. `string_end_matches_a_byte_search` holds it to the
/// byte-by-byte search.
fn string_end(b: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let mut words = b.chunks_exact(8);
    for (i, w) in words.by_ref().enumerate() {
        let mut x = [0u8; 8];
        x.copy_from_slice(w);
        let x = u64::from_le_bytes(x);
        let marks = zero(x ^ (ONES * u64::from(b'"')))
            | zero(x ^ (ONES * u64::from(b'\\')))
            | (x.wrapping_sub(ONES * 0x20) & !x & HIGH);
        if marks != 0 {
            return Some(i * 8 + marks.trailing_zeros() as usize / 8);
        }
    }
    let tail = words.remainder();
    tail.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20).map(|p| b.len() - tail.len() + p)
}

struct Scan<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

type R<T> = Result<T, NotObject>;

impl<'a> Scan<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> R<()> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(NotObject::Invalid)
        }
    }

    /// A value at nesting `depth` (the number of arrays/objects around it).
    fn value(&mut self, depth: usize) -> R<Val<'a>> {
        self.ws();
        match self.peek() {
            Some(b'{') => self.object(depth + 1, None).map(|()| Val::Object),
            Some(b'[') => self.array(depth + 1).map(|()| Val::Array),
            Some(b'"') => self.string().map(Val::Str),
            Some(b't') => self.literal("true").map(|()| Val::Bool(true)),
            Some(b'f') => self.literal("false").map(|()| Val::Bool(false)),
            Some(b'n') => self.literal("null").map(|()| Val::Null),
            Some(b'-' | b'0'..=b'9') => self.number().map(Val::Num),
            _ => Err(NotObject::Invalid),
        }
    }

    fn literal(&mut self, word: &str) -> R<()> {
        if self.b.get(self.i..self.i + word.len()) == Some(word.as_bytes()) {
            self.i += word.len();
            Ok(())
        } else {
            Err(NotObject::Invalid)
        }
    }

    /// `{ ... }` at `depth`; top-level fields go to `fields`.
    fn object(&mut self, depth: usize, mut fields: Option<&mut Vec<(Str<'a>, Val<'a>)>>) -> R<()> {
        if depth >= MAX_DEPTH {
            return Err(NotObject::Invalid);
        }
        self.eat(b'{')?;
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.ws();
            let key = self.string()?;
            self.ws();
            self.eat(b':')?;
            let v = self.value(depth)?;
            if let Some(f) = fields.as_deref_mut() {
                f.push((key, v));
            }
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(NotObject::Invalid),
            }
        }
    }

    fn array(&mut self, depth: usize) -> R<()> {
        if depth >= MAX_DEPTH {
            return Err(NotObject::Invalid);
        }
        self.eat(b'[')?;
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.value(depth)?;
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(());
                }
                _ => return Err(NotObject::Invalid),
            }
        }
    }

    /// `"..."`: no raw control characters, only valid escapes, surrogates in pairs.
    fn string(&mut self) -> R<Str<'a>> {
        self.eat(b'"')?;
        let start = self.i;
        let mut escaped = false;
        loop {
            // Skip the plain bytes in one go.
            let rest = self.b.get(self.i..).unwrap_or_default();
            let skip = string_end(rest).ok_or(NotObject::Invalid)?;
            self.i += skip;
            match self.peek() {
                Some(b'"') => {
                    // Quotes are ASCII, so both ends are char boundaries of the UTF-8 line.
                    let raw = self.s.get(start..self.i).ok_or(NotObject::Invalid)?;
                    self.i += 1;
                    return Ok(Str { raw, escaped });
                }
                Some(b'\\') => {
                    escaped = true;
                    self.i += 1;
                    self.escape()?;
                }
                _ => return Err(NotObject::Invalid),
            }
        }
    }

    /// After a backslash.
    fn escape(&mut self) -> R<()> {
        match self.peek() {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                self.i += 1;
                Ok(())
            }
            Some(b'u') => {
                self.i += 1;
                let u = self.hex()?;
                match u {
                    0xDC00..=0xDFFF => Err(NotObject::Invalid),
                    0xD800..=0xDBFF => {
                        self.eat(b'\\')?;
                        self.eat(b'u')?;
                        if (0xDC00..=0xDFFF).contains(&self.hex()?) { Ok(()) } else { Err(NotObject::Invalid) }
                    }
                    _ => Ok(()),
                }
            }
            _ => Err(NotObject::Invalid),
        }
    }

    fn hex(&mut self) -> R<u16> {
        let h = self.b.get(self.i..self.i + 4).ok_or(NotObject::Invalid)?;
        if !h.iter().all(u8::is_ascii_hexdigit) {
            return Err(NotObject::Invalid);
        }
        self.i += 4;
        // Four ASCII hex digits: valid UTF-8 and a valid u16.
        let s = std::str::from_utf8(h).map_err(|_| NotObject::Invalid)?;
        u16::from_str_radix(s, 16).map_err(|_| NotObject::Invalid)
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, finite as an `f64`.
    fn number(&mut self) -> R<&'a str> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(NotObject::Invalid),
        }
        let mut float = false;
        if self.peek() == Some(b'.') {
            self.i += 1;
            float = true;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(NotObject::Invalid);
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            float = true;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(NotObject::Invalid);
            }
            self.digits();
        }
        let n = self.s.get(start..self.i).ok_or(NotObject::Invalid)?;
        // Integers that fit i64/u64 are exact; anything else is an f64 and must be finite.
        let exact = !float && (n.parse::<u64>().is_ok() || n.parse::<i64>().is_ok());
        if !exact && !n.parse::<f64>().is_ok_and(f64::is_finite) {
            return Err(NotObject::Invalid);
        }
        Ok(n)
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use proptest::prelude::*;
    use serde_json::Value;

    use super::*;

    /// serde_json's verdict in our terms.
    fn reference(line: &[u8]) -> Result<(), NotObject> {
        match serde_json::from_slice::<Value>(line) {
            Ok(Value::Object(_)) => Ok(()),
            Ok(_) => Err(NotObject::OtherValue),
            Err(_) => Err(NotObject::Invalid),
        }
    }

    /// Same verdict as serde_json, and the same top-level values.
    fn agree(line: &[u8]) {
        let ours = object(line);
        assert_eq!(ours.as_ref().map(|_| ()).map_err(|e| *e), reference(line), "{:?}", String::from_utf8_lossy(line));
        let (Ok(o), Ok(Value::Object(m))) = (ours, serde_json::from_slice::<Value>(line)) else { return };
        for (k, v) in &m {
            let got = o.get(k).unwrap();
            match (v, got) {
                (Value::String(s), Val::Str(g)) => assert_eq!(g.decode(), s.as_str()),
                (Value::Number(n), Val::Num(g)) => {
                    // serde_json's default float parser may be 1 ulp off; std's is exact. Compared
                    // in ulps, not relatively: for subnormals (2.2e-309) one ulp is a large part.
                    let (a, b) = (g.parse::<f64>().unwrap(), n.as_f64().unwrap());
                    let ulps = (i128::from(a.to_bits()) - i128::from(b.to_bits())).abs();
                    assert!(a == b || (a.signum() == b.signum() && ulps <= 2), "{g} {n}");
                }
                (Value::Bool(b), Val::Bool(g)) => assert_eq!(*b, g),
                (Value::Null, Val::Null) | (Value::Array(_), Val::Array) | (Value::Object(_), Val::Object) => {}
                other => panic!("{k}: {other:?}"),
            }
        }
    }

    #[test]
    fn shapes() {
        for l in [
            r#"{}"#,
            r#" { "a" : 1 , "b":[1,[2,{}]], "c":{"d":null}, "e":true, "f":false, "g":-0.5e-3 } "#,
            r#"{"a":"\"q\" \\ \/ \b\f\n\r\t \u00e9 \ud83d\ude00 é"}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"\u0061":"x"}"#,
            r#"{"a":"\ud800"}"#,
            r#"{"a":"\udc00"}"#,
            r#"{"a":"\ud800\u0041"}"#,
            r#"{"a":"\ud800x"}"#,
            r#"{"a":"\x"}"#,
            r#"{"a":"\u12"}"#,
            "{\"a\":\"tab\there\"}",
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":.5}"#,
            r#"{"a":1e}"#,
            r#"{"a":-}"#,
            r#"{"a":1e400}"#,
            r#"{"a":-1e400}"#,
            r#"{"a":1e-400}"#,
            r#"{"a":123456789012345678901234567890}"#,
            r#"{"a":18446744073709551615}"#,
            r#"{"a":-9223372036854775808}"#,
            r#"{"a":1}x"#,
            r#"{"a":1,}"#,
            r#"{"a" 1}"#,
            r#"{a:1}"#,
            r#"{"a":tru}"#,
            r#"{"a":nulls}"#,
            r#"[1,2]"#,
            r#""str""#,
            r#"12"#,
            r#"null"#,
            r#"{"a":[1,]}"#,
            r#"{"a":[}"#,
            "",
            "   ",
            r#"{"a":1}  "#,
        ] {
            agree(l.as_bytes());
        }
        agree(b"{\"a\":\"\xff\"}");
        // A subnormal that serde_json's fast float parser reads 1 ulp off (seen failing CI).
        agree(b"{\"a\":2.21293507673923e-309}");
        agree(b"{\"a\":1}\xff");
    }

    #[test]
    fn nesting_limit_matches_serde_json() {
        for depth in [MAX_DEPTH - 2, MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, MAX_DEPTH + 5] {
            let arr = format!("{{\"a\":{}{}}}", "[".repeat(depth), "]".repeat(depth));
            agree(arr.as_bytes());
            let obj = format!("{{\"a\":{}1{}}}", "{\"b\":".repeat(depth), "}".repeat(depth));
            agree(obj.as_bytes());
            let top = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            agree(top.as_bytes());
        }
    }

    fn json_text() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just("null".to_owned()),
            Just("true".to_owned()),
            any::<i64>().prop_map(|n| n.to_string()),
            any::<f64>().prop_map(|f| format!("{f:e}")),
            "\"([ -~]|\\\\[\"\\\\/bfnrtux]|\\\\u[dD][89abAB][0-9a-f]{2}|é)*\"",
            "-?[0-9]{1,3}(\\.[0-9]{0,2})?([eE][+-]?[0-9]{0,4})?",
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(|v| format!("[{}]", v.join(","))),
                prop::collection::vec(("[a-z]{1,3}", inner), 0..5).prop_map(|v| {
                    let f: Vec<String> = v.into_iter().map(|(k, v)| format!("\"{k}\": {v}")).collect();
                    format!("{{{}}}", f.join(", "))
                }),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

        #[test]
        fn agrees_with_serde_json_on_generated_json(t in json_text()) {
            agree(t.as_bytes());
            agree(format!("{{\"k\": {t}}}").as_bytes());
        }

        #[test]
        fn agrees_with_serde_json_on_damaged_json(t in json_text(), at in any::<usize>(), b in any::<u8>(), how in 0..3u8) {
            let mut v = format!("{{\"k\": {t}, \"z\": \"\\u00e9\"}}").into_bytes();
            let n = v.len();
            match how {
                0 => v[at % n] = b,
                1 => v.insert(at % (n + 1), b),
                _ => { v.remove(at % n); }
            }
            agree(&v);
        }

        /// Every byte value at every offset of words and their tails, quotes and backslashes
        /// and control characters and UTF-8 among them.
        #[test]
        fn string_end_matches_a_byte_search(v in prop::collection::vec(prop_oneof![
            4 => 0x20u8..=0x7e, 2 => 0x80u8..=0xff, 1 => 0u8..0x20, 1 => Just(b'"'), 1 => Just(b'\\'), 1 => Just(0x7f),
        ], 0..40)) {
            let want = v.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20);
            prop_assert_eq!(string_end(&v), want);
        }

        #[test]
        fn agrees_with_serde_json_on_bytes(v in prop::collection::vec(prop_oneof![any::<u8>(), Just(b'{'), Just(b'"'), Just(b'\\'), Just(b':')], 0..40)) {
            agree(&v);
        }
    }
}
