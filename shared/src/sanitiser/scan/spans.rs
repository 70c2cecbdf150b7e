//! The stretches of text the passes claim, what replaces each, and the text written again from them.

use std::borrow::Cow;

use crate::domain::alert::RedactionKind;
pub(crate) use crate::domain::alert::ReviewKind as Review;

use super::Scan;
use crate::sanitiser::tokens::soft_gap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Rep {
    /// The offender's: protected from every later rule.
    Keep,
    /// The neutral words written in its place: one of the sanitiser's own phrases, or one with "'s" after it.
    Text(Cow<'static, str>),
    /// Taken out with the space before it: "my friend Kayla" reads "my friend".
    Drop,
}

#[derive(Debug, Clone)]
pub(crate) struct Span {
    /// Byte offsets into the text: `start..end`.
    pub start: usize,
    pub end: usize,
    pub kind: Option<RedactionKind>,
    pub rep: Rep,
    /// Why a reviewer should look at what this span wrote, if they should.
    pub review: Option<Review>,
}

/// Which bytes of a text a span holds already: one bit a byte.
pub(crate) struct Claimed(Vec<u64>);

impl Claimed {
    pub fn new(len: usize) -> Self {
        Claimed(vec![0; len.div_ceil(64)])
    }

    /// The mask of bits `lo..hi` of one word (`lo < hi <= 64`).
    fn mask(lo: usize, hi: usize) -> u64 {
        (u64::MAX >> (64 - (hi - lo))) << lo
    }

    /// Whether any byte of `s..e` (`s < e`, within the text) is held.
    pub fn any(&self, s: usize, e: usize) -> bool {
        let (first, last) = (s >> 6, (e - 1) >> 6);
        if first == last {
            return self.0[first] & Self::mask(s & 63, ((e - 1) & 63) + 1) != 0;
        }
        self.0[first] & Self::mask(s & 63, 64) != 0
            || self.0[first + 1..last].iter().any(|&w| w != 0)
            || self.0[last] & Self::mask(0, ((e - 1) & 63) + 1) != 0
    }

    pub fn set(&mut self, s: usize, e: usize) {
        if s >= e {
            return;
        }
        let (first, last) = (s >> 6, (e - 1) >> 6);
        if first == last {
            self.0[first] |= Self::mask(s & 63, ((e - 1) & 63) + 1);
            return;
        }
        self.0[first] |= Self::mask(s & 63, 64);
        self.0[first + 1..last].iter_mut().for_each(|w| *w = u64::MAX);
        self.0[last] |= Self::mask(0, ((e - 1) & 63) + 1);
    }

    pub fn get(&self, i: usize) -> bool {
        self.0[i >> 6] & (1 << (i & 63)) != 0
    }
}

impl Scan<'_> {
    /// Whether no span holds any byte of `s..e` yet.
    pub(super) fn free(&self, s: usize, e: usize) -> bool {
        s < e && e <= self.text.len() && !self.claimed.any(s, e)
    }

    /// Claims `s..e` for one span; false, and nothing changes, when part of it is held already.
    pub(super) fn add(&mut self, s: usize, e: usize, kind: Option<RedactionKind>, rep: Rep) -> bool {
        if !self.free(s, e) {
            return false;
        }
        self.claimed.set(s, e);
        self.spans.push(Span { start: s, end: e, kind, rep, review: None });
        true
    }

    /// Claims `s..e` as the offender's: no later rule touches it.
    pub(super) fn keep(&mut self, s: usize, e: usize) -> bool {
        self.add(s, e, None, Rep::Keep)
    }

    /// Claims `s..e` to be replaced by `rep`, counted as `kind`.
    pub(super) fn remove(&mut self, s: usize, e: usize, kind: RedactionKind, rep: impl Into<Cow<'static, str>>) -> bool {
        self.add(s, e, Some(kind), Rep::Text(rep.into()))
    }

    /// Takes out words `a..=b`; with `possessive`, a following "'s" goes too and the replacement takes it.
    pub(super) fn remove_word(&mut self, a: usize, b: usize, kind: RedactionKind, rep: &'static str, possessive: bool) {
        let (mut s, mut e) = (self.toks[a].s, self.toks[b].e);
        let mut rep: Cow<'static, str> = Cow::Borrowed(rep);
        if possessive {
            let rest = &self.text[e..];
            for ap in ["'s", "’s", "'S"] {
                if rest.starts_with(ap) && !rest[ap.len()..].chars().next().is_some_and(char::is_alphanumeric) {
                    e += ap.len();
                    rep.to_mut().push_str("'s");
                    break;
                }
            }
        }
        // "at the Velvet Rooms" reads "at a venue", not "at the a venue".
        if (rep.starts_with("a ") || rep.starts_with("an ") || rep == "someone") && a > 0 {
            let prev = &self.toks[a - 1];
            if prev.low == "the" && soft_gap(self.gap(a)) && self.free(prev.s, prev.e) {
                s = prev.s;
            }
        }
        if !self.free(s, e) {
            s = self.toks[a].s;
        }
        // The "'s" held by another span already: the words alone, rather than nothing.
        if !self.free(s, e) && possessive {
            e = self.toks[b].e;
            if let Some(r) = rep.strip_suffix("'s") {
                rep = Cow::Owned(r.to_owned());
            }
        }
        self.remove(s, e, kind, rep);
    }

    /// Takes out word `i` with the space before it (or keeps only its "'s").
    pub(super) fn drop_word(&mut self, i: usize) {
        let t = &self.toks[i];
        let (s, mut e) = (t.s, t.e);
        let rest = &self.text[e..];
        for ap in ["'s", "’s"] {
            if rest.starts_with(ap) && self.free(e, e + ap.len()) {
                e += ap.len();
                // "my friend Kayla's flat" reads "my friend's flat".
                self.add(s, e, Some(RedactionKind::ThirdPartyName), Rep::Text("'s".into()));
                return;
            }
        }
        self.add(s, e, Some(RedactionKind::ThirdPartyName), Rep::Drop);
    }

    /// Writes the text again with each span's replacement. Neighbouring address parts ("18 montpelier terrace, bn1
    /// 3dg") become one "an address nearby".
    /// With the text, where in it (character offsets) each span a reviewer should look at stands.
    pub fn render_marked(&self) -> (String, Vec<(usize, usize, Review)>) {
        let mut marks: Vec<(usize, usize, Review)> = Vec::new();
        let mut out = String::with_capacity(self.text.len());
        let mut pos = 0;
        let mut last_addr = false;
        let mut cap_next = false;
        for sp in &self.spans {
            let gap = &self.text[pos..sp.start];
            let gap = &*capitalise_first(gap, &mut cap_next);
            let addr = matches!(sp.kind, Some(RedactionKind::Address | RedactionKind::Postcode));
            match &sp.rep {
                Rep::Keep => {
                    out.push_str(gap);
                    out.push_str(&capitalise_first(&self.text[sp.start..sp.end], &mut cap_next));
                    last_addr = false;
                }
                Rep::Drop => {
                    out.push_str(gap);
                    let trimmed = out.trim_end_matches([' ', ',', '-']).len();
                    out.truncate(trimmed);
                    cap_next = sentence_start(&out);
                    last_addr = false;
                }
                Rep::Text(r) => {
                    if addr && last_addr && gap.chars().all(|c| c == ' ' || c == ',') {
                        pos = sp.end;
                        continue;
                    }
                    out.push_str(gap);
                    if r.starts_with('\'') {
                        let trimmed = out.trim_end().len();
                        out.truncate(trimmed);
                    }
                    let at = out.len();
                    if sentence_start(&out) {
                        let mut cs = r.chars();
                        if let Some(f) = cs.next() {
                            out.extend(f.to_uppercase());
                            out.push_str(cs.as_str());
                        }
                    } else {
                        out.push_str(r);
                    }
                    if let Some(k) = sp.review {
                        marks.push((at, out.len(), k));
                    }
                    last_addr = addr;
                }
            }
            pos = sp.end;
        }
        out.push_str(&capitalise_first(&self.text[pos..], &mut cap_next));
        let mut removed: Vec<usize> = Vec::new();
        let out = if self.spans.iter().any(|sp| sp.rep == Rep::Drop) { tidy(&out, &mut removed) } else { out };
        // Byte offsets before tidying → character offsets in the text written.
        let moved = |b: usize| b - removed.partition_point(|&r| r < b);
        let chars = |b: usize| out[..b.min(out.len())].chars().count();
        let marks = marks.into_iter().map(|(s, e, k)| (chars(moved(s)), chars(moved(e)), k)).collect();
        (out, marks)
    }
}

/// Spaces left doubled where a name was dropped, and a space left before punctuation. Works on bytes: it only
/// ever drops an ASCII space, so the text stays valid UTF-8.
/// `removed` gets the offset (in `s`) of each byte left out.
fn tidy(s: &str, removed: &mut Vec<usize>) -> String {
    let mut out: Vec<u8> = Vec::with_capacity(s.len());
    let mut last = b'\n';
    // The last byte written that is not a space.
    let mut before_space = b'\n';
    for (i, &c) in s.as_bytes().iter().enumerate() {
        if c == b' ' && last == b' ' {
            removed.push(i);
            continue;
        }
        if matches!(c, b',' | b'.' | b')' | b'!' | b'?' | b';' | b':')
            && last == b' '
            && (before_space.is_ascii_alphanumeric() || before_space >= 0x80 || before_space == b')' || before_space == b'\'')
        {
            out.pop();
            // The space popped is the last byte kept before this one.
            let mut k = i - 1;
            while removed.last() == Some(&k) {
                k -= 1;
            }
            removed.push(k);
            removed.sort_unstable();
        }
        if c != b' ' {
            before_space = c;
        }
        last = c;
        out.push(c);
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Upper-cases the first letter of `s` when `pending`, and clears `pending` once a letter or digit is seen.
fn capitalise_first<'s>(s: &'s str, pending: &mut bool) -> std::borrow::Cow<'s, str> {
    if !*pending {
        return s.into();
    }
    match s.char_indices().find(|(_, c)| c.is_alphanumeric()) {
        Some((i, c)) => {
            *pending = false;
            let mut out = String::with_capacity(s.len() + 2);
            out.push_str(&s[..i]);
            out.extend(c.to_uppercase());
            out.push_str(&s[i + c.len_utf8()..]);
            out.into()
        }
        None => s.into(),
    }
}

fn sentence_start(out: &str) -> bool {
    let mut quoted = false;
    for c in out.chars().rev() {
        match c {
            '\n' | '.' | '!' | '?' => return true,
            ':' => return quoted,
            c if c.is_whitespace() => {}
            '"' | '“' | '‘' | '(' | '\'' => quoted = true,
            _ => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::Claimed;

    proptest::proptest! {
        /// The bits answer as one flag a byte would.
        #[test]
        fn claimed_bytes_read_as_one_flag_a_byte(len in 1usize..300, ranges in proptest::collection::vec((0usize..300, 0usize..70), 0..12)) {
            let mut bits = Claimed::new(len);
            let mut flags = vec![false; len];
            for (s, n) in ranges {
                let (s, e) = (s.min(len - 1), (s + n).min(len));
                proptest::prop_assert_eq!(s < e && bits.any(s, e), s < e && flags[s..e].iter().any(|&c| c));
                bits.set(s, e);
                flags[s..e].iter_mut().for_each(|c| *c = true);
                for (i, &f) in flags.iter().enumerate() {
                    proptest::prop_assert_eq!(bits.get(i), f);
                }
            }
        }
    }
}
