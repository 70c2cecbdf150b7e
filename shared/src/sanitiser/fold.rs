//! One way to compare text, for what is looked for and for where it is looked: lower case in Unicode, without the
//! accents of the Latin letters that UK and Irish reports hold (French, Polish, Romanian, Turkish, Irish fadas,
//! Welsh), and without combining marks, so "Élodie", "ELODIE", "élodie" and "E\u{301}lodie" are one word.
//!
//! The Turkish dotted capital and dotless small i both fold to "i": a name typed on a Turkish keyboard and the same name
//! typed on an English one are one name. Folding can change a text's length (`ß` → `ss`), so [`Folded`] keeps, for
//! each byte it writes, the character of the source it came from.

/// The text folded.
pub(crate) fn fold(s: &str) -> String {
    if s.bytes().all(|b| b.is_ascii_lowercase() || !b.is_ascii_alphabetic() && b.is_ascii()) {
        return s.to_owned();
    }
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        fold_char(c, &mut out);
    }
    out
}

/// Whether two texts are the same once folded.
pub(crate) fn same(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    fold(a) == fold(b)
}

/// A combining mark (an accent written as its own character after the letter).
pub(crate) fn is_mark(c: char) -> bool {
    matches!(c, '\u{300}'..='\u{36f}' | '\u{1ab0}'..='\u{1aff}' | '\u{1dc0}'..='\u{1dff}' | '\u{20d0}'..='\u{20ff}' | '\u{fe20}'..='\u{fe2f}')
}

fn fold_char(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
    if is_mark(c) {
        return;
    }
    if matches!(c, 'İ' | 'ı') {
        out.push('i');
        return;
    }
    for l in c.to_lowercase() {
        if is_mark(l) {
            continue;
        }
        match l {
            'ß' => out.push_str("ss"),
            'æ' => out.push_str("ae"),
            'œ' => out.push_str("oe"),
            'þ' => out.push_str("th"),
            other => out.push(plain(other)),
        }
    }
}

/// A small Latin letter without its accent.
fn plain(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => 'a',
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => 'c',
        'ď' | 'đ' | 'ð' => 'd',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => 'e',
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => 'g',
        'ĥ' | 'ħ' => 'h',
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' => 'i',
        'ĵ' => 'j',
        'ķ' => 'k',
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => 'l',
        'ñ' | 'ń' | 'ņ' | 'ň' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => 'o',
        'ŕ' | 'ŗ' | 'ř' => 'r',
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => 's',
        'ţ' | 'ť' | 'ț' => 't',
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => 'u',
        'ŵ' => 'w',
        'ý' | 'ÿ' | 'ŷ' => 'y',
        'ź' | 'ż' | 'ž' => 'z',
        other => other,
    }
}

/// A text folded, with the way back to the source: a match at `s..e` in `text` is the source's `source(s, e)`.
pub(crate) struct Folded {
    pub text: String,
    /// For each byte of `text`, the start and end of the source character it came from; `None` where folding kept
    /// every byte in place (ASCII).
    from: Option<Vec<(u32, u32)>>,
}

impl Folded {
    pub fn new(source: &str) -> Self {
        if source.is_ascii() {
            return Folded { text: source.to_ascii_lowercase(), from: None };
        }
        let mut text = String::with_capacity(source.len());
        let mut from: Vec<(u32, u32)> = Vec::with_capacity(source.len());
        let bytes = source.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] < 0x80 {
                // A run of ASCII at once: each byte lower-cased in place, and from itself.
                let j = i + bytes[i..].iter().position(|&c| c >= 0x80).unwrap_or(bytes.len() - i);
                let at = text.len();
                text.push_str(&source[i..j]);
                text[at..].make_ascii_lowercase();
                from.extend((i..j).map(|k| (k as u32, k as u32 + 1)));
                i = j;
                continue;
            }
            let c = source[i..].chars().next().unwrap_or(' ');
            let before = text.len();
            fold_char(c, &mut text);
            let end = (i + c.len_utf8()) as u32;
            if text.len() == before {
                // A mark folded away goes with the letter before it.
                if let Some(last) = from.last_mut() {
                    last.1 = end;
                }
            }
            from.resize(text.len(), (i as u32, end));
            i += c.len_utf8();
        }
        Folded { text, from: Some(from) }
    }

    /// The source range that `s..e` of the folded text came from: from the start of the character that gave byte `s`
    /// to the end of the one that gave byte `e - 1`.
    pub fn source(&self, s: usize, e: usize) -> (usize, usize) {
        match &self.from {
            None => (s, e),
            Some(from) if s < e => (from[s].0 as usize, from[e - 1].1 as usize),
            Some(from) => {
                let at = from.get(s).map_or_else(|| from.last().map_or(0, |x| x.1 as usize), |x| x.0 as usize);
                (at, at)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accented_and_plain_spellings_fold_to_one() {
        for (a, b) in [
            ("Élodie", "elodie"),
            ("E\u{301}lodie", "elodie"),
            ("ŁUKASZ", "lukasz"),
            ("Ștefan", "stefan"),
            ("Şerban", "serban"),
            ("Siobhán", "siobhan"),
            ("Órla", "orla"),
            ("IŞIL", "isil"),
            ("Işıl", "isil"),
            ("İpek", "ipek"),
            ("Zoë", "zoe"),
            ("Straße", "strasse"),
        ] {
            assert_eq!(fold(a), b, "{a}");
            assert!(same(a, b), "{a}");
        }
    }

    #[test]
    fn a_match_in_the_folded_text_maps_back_to_whole_source_characters() {
        let src = "hi @Éva_x and Straße x";
        let f = Folded::new(src);
        let at = f.text.find("eva_x").unwrap();
        let (s, e) = f.source(at, at + "eva_x".len());
        assert_eq!(&src[s..e], "Éva_x");
        let at = f.text.find("strasse").unwrap();
        let (s, e) = f.source(at, at + "stras".len());
        assert_eq!(&src[s..e], "Straß");
        let nfd = "x E\u{301}va y";
        let f = Folded::new(nfd);
        let at = f.text.find("eva").unwrap();
        let (s, e) = f.source(at, at + 3);
        assert_eq!(&nfd[s..e], "E\u{301}va");
    }
}
