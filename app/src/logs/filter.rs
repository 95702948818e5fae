//! The Logs tab's filter: a plain substring, or a regular expression (the
//! browser's own `RegExp`, so the wasm carries no regex engine), with or
//! without matching case. It matches the text as shown: escapes removed,
//! control characters as their symbols.

/// What the user typed and ticked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilterSpec {
    pub text: String,
    pub regex: bool,
    pub match_case: bool,
}

/// A filter ready to test lines.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub enum Matcher {
    /// No filter, or one that could not be compiled: every line shows.
    All,
    Substring(Substring),
    #[cfg(feature = "hydrate")]
    Regex(leptos::web_sys::js_sys::RegExp),
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
impl Matcher {
    /// The matcher for `spec`, or the error to show under the filter (and
    /// then every line shows).
    pub fn new(spec: &FilterSpec) -> (Matcher, Option<String>) {
        if spec.text.is_empty() {
            return (Matcher::All, None);
        }
        if spec.regex {
            #[cfg(feature = "hydrate")]
            return match regexp(&spec.text, spec.match_case) {
                Ok(re) => (Matcher::Regex(re), None),
                Err(e) => (Matcher::All, Some(e)),
            };
            #[cfg(not(feature = "hydrate"))]
            return (Matcher::All, None);
        }
        (Matcher::Substring(Substring::new(&spec.text, spec.match_case)), None)
    }

    pub fn is_all(&self) -> bool {
        matches!(self, Matcher::All)
    }

    pub fn matches(&self, text: &str) -> bool {
        match self {
            Matcher::All => true,
            Matcher::Substring(s) => s.matches(text),
            #[cfg(feature = "hydrate")]
            Matcher::Regex(re) => re.test(text),
        }
    }
}

/// A substring search; without case, ASCII needles are compared without
/// allocating, others through lower case.
#[derive(Debug, Clone)]
pub struct Substring {
    needle: String,
    match_case: bool,
    ascii: bool,
}

impl Substring {
    pub fn new(needle: &str, match_case: bool) -> Self {
        let ascii = needle.is_ascii();
        let needle = if match_case { needle.to_string() } else { needle.to_lowercase() };
        Substring { needle, match_case, ascii }
    }

    pub fn matches(&self, text: &str) -> bool {
        if self.match_case {
            return text.contains(&self.needle);
        }
        if self.ascii {
            let n = self.needle.as_bytes();
            return n.is_empty() || text.as_bytes().windows(n.len()).any(|w| w.eq_ignore_ascii_case(n));
        }
        text.to_lowercase().contains(&self.needle)
    }
}

/// Compiles a `RegExp` without letting a syntax error throw through wasm:
/// the constructor is called through `Reflect.construct`, which returns it.
#[cfg(feature = "hydrate")]
fn regexp(pattern: &str, match_case: bool) -> Result<leptos::web_sys::js_sys::RegExp, String> {
    use leptos::wasm_bindgen::{JsCast, JsValue};
    use leptos::web_sys::js_sys::{Array, Function, Reflect, RegExp, global};

    let ctor: Function = Reflect::get(&global(), &JsValue::from_str("RegExp"))
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or_else(|| "regular expressions are not available".to_string())?;
    let flags = if match_case { "" } else { "i" };
    let args = Array::of2(&JsValue::from_str(pattern), &JsValue::from_str(flags));
    match Reflect::construct(&ctor, &args) {
        Ok(re) => re.dyn_into::<RegExp>().map_err(|_| "not a regular expression".to_string()),
        Err(e) => {
            let message = e
                .dyn_ref::<leptos::web_sys::js_sys::Error>()
                .map(|e| String::from(e.message()))
                .unwrap_or_else(|| "invalid regular expression".to_string());
            Err(message)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str, match_case: bool) -> FilterSpec {
        FilterSpec { text: text.into(), regex: false, match_case }
    }

    #[test]
    fn an_empty_filter_shows_everything() {
        let (m, err) = Matcher::new(&spec("", false));
        assert!(m.is_all() && err.is_none());
        assert!(m.matches("anything"));
    }

    #[test]
    fn substrings_match_with_or_without_case() {
        let (m, _) = Matcher::new(&spec("ERROR", false));
        assert!(m.matches("an error here") && m.matches("ERROR") && m.matches("Error!"));
        assert!(!m.matches("err or"));
        let (m, _) = Matcher::new(&spec("ERROR", true));
        assert!(m.matches("ERROR") && !m.matches("error"));
    }

    #[test]
    fn non_ascii_needles_match_without_case_too() {
        let (m, _) = Matcher::new(&spec("ÉTÉ", false));
        assert!(m.matches("un été chaud"));
        assert!(!Matcher::new(&spec("ÉTÉ", true)).0.matches("un été chaud"));
        let (m, _) = Matcher::new(&spec("␇", false));
        assert!(m.matches("bell␇"));
    }

    #[test]
    fn a_needle_longer_than_the_line_does_not_match() {
        assert!(!Substring::new("longer than this", false).matches("short"));
    }
}
