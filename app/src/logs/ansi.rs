//! ANSI escapes in log text, made safe to show. SGR sequences (colours,
//! bold, dim, italic, underline) become styled runs; every other escape
//! sequence (cursor moves, erase, OSC titles and hyperlinks, DCS, charset
//! switches) is dropped; every other control character is replaced by a
//! visible symbol (`␇` for BEL, `␛` for a lone ESC, `<9B>` for a C1 byte),
//! never interpreted. What comes out is plain text: the browser puts it in
//! text nodes.
//!
//! A sequence that does not end within the line is not a sequence: its ESC
//! shows as `␛` and the rest as text, so nothing can hide the rest of a line.

/// A colour as SGR names it: an index of the 256-colour palette (0-15 are
/// the theme's ANSI colours), or a 24-bit colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Color {
    Indexed(u8),
    Rgb(u8, u8, u8),
}

impl Color {
    /// The CSS class suffix for the 16 theme colours (`0`..`15`); None for
    /// the others, which are drawn as [`Color::rgb`].
    pub fn theme_index(self) -> Option<u8> {
        match self {
            Color::Indexed(n) if n < 16 => Some(n),
            _ => None,
        }
    }

    /// The colour as red, green, blue: xterm's 6×6×6 cube and grey ramp for
    /// 16-255. None for the 16 theme colours.
    pub fn rgb(self) -> Option<(u8, u8, u8)> {
        match self {
            Color::Rgb(r, g, b) => Some((r, g, b)),
            Color::Indexed(n) if n < 16 => None,
            Color::Indexed(n) if n < 232 => {
                const LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];
                let i = (n - 16) as usize;
                Some((LEVELS[i / 36], LEVELS[(i / 6) % 6], LEVELS[i % 6]))
            }
            Color::Indexed(n) => {
                let v = 8 + 10 * (n - 232);
                Some((v, v, v))
            }
        }
    }
}

/// The SGR state a run of text is drawn in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Style {
    pub fg: Option<Color>,
    pub bg: Option<Color>,
    pub bold: bool,
    pub dim: bool,
    pub italic: bool,
    pub underline: bool,
    /// A control character's visible symbol (not an SGR attribute).
    pub control: bool,
}

impl Style {
    pub fn is_plain(&self) -> bool {
        *self == Style::default()
    }

    /// The CSS classes of a run in this style (`style/main.css` colours the
    /// 16 theme colours for light and dark).
    pub fn classes(&self) -> String {
        let mut out = String::new();
        let mut add = |c: &str| {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(c);
        };
        if let Some(i) = self.fg.and_then(Color::theme_index) {
            add(&format!("ansi-fg-{i}"));
        }
        if let Some(i) = self.bg.and_then(Color::theme_index) {
            add(&format!("ansi-bg-{i}"));
        }
        for (on, class) in [
            (self.bold, "ansi-bold"),
            (self.dim, "ansi-dim"),
            (self.italic, "ansi-italic"),
            (self.underline, "ansi-underline"),
            (self.control, "ansi-ctl"),
        ] {
            if on {
                add(class);
            }
        }
        out
    }

    /// The colours no class names (256-colour and 24-bit): CSS `color` and
    /// `background-color` values, set through the CSSOM.
    pub fn inline_colors(&self) -> (Option<String>, Option<String>) {
        let css = |c: Option<Color>| c.and_then(Color::rgb).map(|(r, g, b)| format!("rgb({r}, {g}, {b})"));
        (css(self.fg), css(self.bg))
    }
}

/// A styled stretch of [`Styled::text`], in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    pub start: u32,
    pub end: u32,
    pub style: Style,
}

/// A line as shown: its visible text, and the runs of it that are not plain
/// (in order, not overlapping). Most lines have no runs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Styled {
    pub text: String,
    pub runs: Vec<Run>,
}

impl Styled {
    /// The line as pieces of text and their style, plain ones included.
    pub fn pieces(&self) -> impl Iterator<Item = (&str, Style)> + '_ {
        let mut at = 0usize;
        let mut runs = self.runs.iter().peekable();
        std::iter::from_fn(move || {
            if at >= self.text.len() {
                return None;
            }
            match runs.peek() {
                Some(r) if r.start as usize == at => {
                    let r = runs.next()?;
                    at = r.end as usize;
                    Some((&self.text[r.start as usize..r.end as usize], r.style))
                }
                Some(r) => {
                    let end = r.start as usize;
                    let piece = &self.text[at..end];
                    at = end;
                    Some((piece, Style::default()))
                }
                None => {
                    let piece = &self.text[at..];
                    at = self.text.len();
                    Some((piece, Style::default()))
                }
            }
        })
    }
}

const ESC: char = '\u{1b}';

/// Builds the visible text and its runs.
struct Out {
    styled: Styled,
}

impl Out {
    fn push(&mut self, s: &str, style: Style) {
        if s.is_empty() {
            return;
        }
        let start = self.styled.text.len() as u32;
        self.styled.text.push_str(s);
        let end = self.styled.text.len() as u32;
        if style.is_plain() {
            return;
        }
        match self.styled.runs.last_mut() {
            Some(last) if last.end == start && last.style == style => last.end = end,
            _ => self.styled.runs.push(Run { start, end, style }),
        }
    }

    fn push_char(&mut self, c: char, style: Style) {
        let mut buf = [0u8; 4];
        self.push(c.encode_utf8(&mut buf), style);
    }

    /// A control character's visible stand-in, styled as a control.
    fn push_control(&mut self, c: char, style: Style) {
        let control = Style { control: true, ..style };
        match c as u32 {
            n @ 0..=0x1f => self.push_char(char::from_u32(0x2400 + n).unwrap_or('?'), control),
            0x7f => self.push_char('\u{2421}', control),
            n => self.push(&format!("<{n:02X}>"), control),
        }
    }
}

/// C0 (but tab), DEL and C1 characters: never passed on as they are.
pub fn is_control(c: char) -> bool {
    matches!(c as u32, 0..=0x08 | 0x0a..=0x1f | 0x7f..=0x9f)
}

/// Parses one line. `state` is the SGR state the line starts in (the end
/// state of the previous line of the same stream, as a terminal keeps it);
/// it is left as the line ends. One carriage return at the very end (a TTY's
/// line ending) is not shown.
pub fn parse(line: &str, state: &mut Style) -> Styled {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let mut out = Out { styled: Styled { text: String::with_capacity(line.len()), runs: Vec::new() } };
    let bytes = line.as_bytes();
    let mut i = 0;
    // Start of the current stretch of ordinary text.
    let mut plain_from = 0;
    while i < bytes.len() {
        let b = bytes[i];
        // Everything that needs attention is ASCII (ESC, C0, DEL) or a C1
        // character (two bytes in UTF-8, starting 0xC2 0x80..0x9F).
        let special = b < 0x20 && b != b'\t' || b == 0x7f || b == 0xc2 && bytes.get(i + 1).is_some_and(|n| *n < 0xa0);
        if !special {
            i += 1;
            continue;
        }
        out.push(&line[plain_from..i], *state);
        if b == 0x1b {
            match sequence_end(line, i) {
                Some((end, sgr)) => {
                    if let Some(params) = sgr {
                        apply_sgr(params, state);
                    }
                    i = end;
                }
                None => {
                    out.push_control(ESC, *state);
                    i += 1;
                }
            }
        } else {
            let c = line[i..].chars().next().unwrap_or(ESC);
            out.push_control(c, *state);
            i += c.len_utf8();
        }
        plain_from = i;
    }
    out.push(&line[plain_from..], *state);
    out.styled
}

/// Where the escape sequence starting with the ESC at `at` ends (the byte
/// after it), and its parameters if it is an SGR (`ESC [ ... m`). None when
/// it is not a complete sequence.
fn sequence_end(line: &str, at: usize) -> Option<(usize, Option<&str>)> {
    let bytes = line.as_bytes();
    let next = *bytes.get(at + 1)?;
    match next {
        // CSI: parameters 0x30-0x3F, intermediates 0x20-0x2F, final 0x40-0x7E.
        b'[' => {
            let mut j = at + 2;
            while j < bytes.len() && (0x30..=0x3f).contains(&bytes[j]) {
                j += 1;
            }
            let params_end = j;
            while j < bytes.len() && (0x20..=0x2f).contains(&bytes[j]) {
                j += 1;
            }
            let fin = *bytes.get(j)?;
            if !(0x40..=0x7e).contains(&fin) {
                return None;
            }
            let sgr = (fin == b'm' && params_end == j).then(|| &line[at + 2..params_end]);
            Some((j + 1, sgr))
        }
        // OSC, DCS, SOS, PM, APC: a string ended by ST (ESC \) or BEL.
        b']' | b'P' | b'X' | b'^' | b'_' => {
            let mut j = at + 2;
            while j < bytes.len() {
                match bytes[j] {
                    0x07 => return Some((j + 1, None)),
                    0x1b if bytes.get(j + 1) == Some(&b'\\') => return Some((j + 2, None)),
                    // 8-bit ST.
                    0xc2 if bytes.get(j + 1) == Some(&0x9c) => return Some((j + 2, None)),
                    _ => j += 1,
                }
            }
            None
        }
        // nF: intermediates, then a final byte (charset designations).
        0x20..=0x2f => {
            let mut j = at + 1;
            while j < bytes.len() && (0x20..=0x2f).contains(&bytes[j]) {
                j += 1;
            }
            let fin = *bytes.get(j)?;
            (0x30..=0x7e).contains(&fin).then_some((j + 1, None))
        }
        // Fp, Fe, Fs: one byte (ESC 7, ESC M, ESC c, ESC =, ...).
        0x30..=0x7e => Some((at + 2, None)),
        _ => None,
    }
}

/// One SGR parameter: a number, maybe with `:` sub-parameters.
fn numbers(group: &str) -> Vec<Option<u32>> {
    group.split(':').map(|n| if n.is_empty() { None } else { n.parse::<u32>().ok().or(Some(u32::MAX)) }).collect()
}

fn apply_sgr(params: &str, style: &mut Style) {
    // Private parameters (`ESC [ ? ... m`, `ESC [ > ... m`) are not SGR.
    if params.starts_with(['<', '=', '>', '?']) {
        return;
    }
    let groups: Vec<Vec<Option<u32>>> = params.split(';').map(numbers).collect();
    let mut i = 0;
    while i < groups.len() {
        let group = &groups[i];
        let code = group[0].unwrap_or(0);
        i += 1;
        match code {
            0 => {
                // Reset keeps nothing.
                *style = Style::default();
            }
            1 => style.bold = true,
            2 => style.dim = true,
            3 => style.italic = true,
            4 => style.underline = !matches!(group.get(1), Some(Some(0))),
            21 => style.underline = true,
            22 => {
                style.bold = false;
                style.dim = false;
            }
            23 => style.italic = false,
            24 => style.underline = false,
            30..=37 => style.fg = Some(Color::Indexed((code - 30) as u8)),
            39 => style.fg = None,
            40..=47 => style.bg = Some(Color::Indexed((code - 40) as u8)),
            49 => style.bg = None,
            90..=97 => style.fg = Some(Color::Indexed((code - 90 + 8) as u8)),
            100..=107 => style.bg = Some(Color::Indexed((code - 100 + 8) as u8)),
            38 | 48 | 58 => {
                let color = if group.len() > 1 {
                    extended_colon(&group[1..])
                } else {
                    let (color, used) = extended_semicolon(&groups[i..]);
                    i += used;
                    color
                };
                let Some(color) = color else {
                    // A malformed colour: the rest of the sequence cannot be trusted.
                    return;
                };
                match code {
                    38 => style.fg = Some(color),
                    48 => style.bg = Some(color),
                    _ => {} // underline colour: not drawn
                }
            }
            _ => {}
        }
    }
}

fn byte(v: Option<u32>) -> Option<u8> {
    u8::try_from(v.unwrap_or(0)).ok()
}

/// `38:5:n`, `38:2:r:g:b` or `38:2:cs:r:g:b` (after the 38).
fn extended_colon(sub: &[Option<u32>]) -> Option<Color> {
    match sub.first().copied().flatten()? {
        5 => Some(Color::Indexed(byte(*sub.get(1)?)?)),
        2 => {
            let rgb = if sub.len() >= 5 { &sub[2..5] } else { sub.get(1..4)? };
            Some(Color::Rgb(byte(rgb[0])?, byte(rgb[1])?, byte(rgb[2])?))
        }
        _ => None,
    }
}

/// `38;5;n` or `38;2;r;g;b` (after the 38): the colour and how many
/// parameters it took.
fn extended_semicolon(rest: &[Vec<Option<u32>>]) -> (Option<Color>, usize) {
    let n = |k: usize| rest.get(k).map(|g| g[0]);
    match n(0).flatten() {
        Some(5) => match n(1) {
            Some(v) => (byte(v).map(Color::Indexed), 2),
            None => (None, 1),
        },
        Some(2) => match (n(1), n(2), n(3)) {
            (Some(r), Some(g), Some(b)) => {
                let color = match (byte(r), byte(g), byte(b)) {
                    (Some(r), Some(g), Some(b)) => Some(Color::Rgb(r, g, b)),
                    _ => None,
                };
                (color, 4)
            }
            _ => (None, rest.len()),
        },
        _ => (None, 1),
    }
}

/// The line's visible text with no styling: what a filter matches and a
/// download of visible lines holds.
#[cfg(test)]
fn plain(line: &str) -> String {
    parse(line, &mut Style::default()).text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn red() -> Style {
        Style { fg: Some(Color::Indexed(1)), ..Style::default() }
    }

    #[test]
    fn a_coloured_word_is_a_run_and_the_escapes_are_gone() {
        let mut st = Style::default();
        let s = parse("\u{1b}[31mred\u{1b}[0m plain", &mut st);
        assert_eq!(s.text, "red plain");
        assert_eq!(s.runs, vec![Run { start: 0, end: 3, style: red() }]);
        assert_eq!(st, Style::default());
        let pieces: Vec<_> = s.pieces().collect();
        assert_eq!(pieces, vec![("red", red()), (" plain", Style::default())]);
    }

    #[test]
    fn plain_text_has_no_runs() {
        let s = parse("just text\twith a tab", &mut Style::default());
        assert_eq!(s.text, "just text\twith a tab");
        assert!(s.runs.is_empty());
        assert_eq!(s.pieces().collect::<Vec<_>>(), vec![("just text\twith a tab", Style::default())]);
    }

    #[test]
    fn colour_carries_over_to_the_next_line_until_reset() {
        let mut st = Style::default();
        parse("\u{1b}[1;32mstarts green", &mut st);
        let s = parse("still green\u{1b}[m done", &mut st);
        let green_bold = Style { fg: Some(Color::Indexed(2)), bold: true, ..Style::default() };
        assert_eq!(s.runs, vec![Run { start: 0, end: 11, style: green_bold }]);
        assert_eq!(s.text, "still green done");
        assert!(st.is_plain());
    }

    #[test]
    fn every_sgr_attribute_the_tab_draws() {
        let mut st = Style::default();
        parse("\u{1b}[1;2;3;4;95;104m", &mut st);
        assert_eq!(
            st,
            Style {
                fg: Some(Color::Indexed(13)),
                bg: Some(Color::Indexed(12)),
                bold: true,
                dim: true,
                italic: true,
                underline: true,
                control: false
            }
        );
        parse("\u{1b}[22;23;24;39;49m", &mut st);
        assert!(st.is_plain());
        parse("\u{1b}[4:0m\u{1b}[42m", &mut st);
        assert_eq!(st, Style { bg: Some(Color::Indexed(2)), ..Style::default() });
    }

    #[test]
    fn colours_256_and_truecolour_in_both_notations() {
        let mut st = Style::default();
        parse("\u{1b}[38;5;196;48;5;4m", &mut st);
        assert_eq!((st.fg, st.bg), (Some(Color::Indexed(196)), Some(Color::Indexed(4))));
        parse("\u{1b}[38;2;10;20;30m", &mut st);
        assert_eq!(st.fg, Some(Color::Rgb(10, 20, 30)));
        parse("\u{1b}[48:2::1:2:3m", &mut st);
        assert_eq!(st.bg, Some(Color::Rgb(1, 2, 3)));
        parse("\u{1b}[38:5:21m", &mut st);
        assert_eq!(st.fg, Some(Color::Indexed(21)));
        // Parameters after a colour still apply.
        parse("\u{1b}[0;38;2;1;2;3;1m", &mut st);
        assert_eq!(st, Style { fg: Some(Color::Rgb(1, 2, 3)), bold: true, ..Style::default() });
        assert_eq!(Color::Indexed(196).rgb(), Some((255, 0, 0)));
        assert_eq!(Color::Indexed(232).rgb(), Some((8, 8, 8)));
        assert_eq!(Color::Indexed(255).rgb(), Some((238, 238, 238)));
        assert_eq!(Color::Indexed(9).rgb(), None);
        assert_eq!(Color::Indexed(9).theme_index(), Some(9));
    }

    #[test]
    fn theme_colours_are_classes_and_others_inline_colours() {
        let s = Style { fg: Some(Color::Indexed(9)), bg: Some(Color::Rgb(1, 2, 3)), bold: true, ..Style::default() };
        assert_eq!(s.classes(), "ansi-fg-9 ansi-bold");
        assert_eq!(s.inline_colors(), (None, Some("rgb(1, 2, 3)".to_string())));
        let s = Style { fg: Some(Color::Indexed(196)), bg: Some(Color::Indexed(0)), control: true, ..Style::default() };
        assert_eq!(s.classes(), "ansi-bg-0 ansi-ctl");
        assert_eq!(s.inline_colors(), (Some("rgb(255, 0, 0)".to_string()), None));
        assert_eq!(Style::default().classes(), "");
    }

    #[test]
    fn malformed_colours_do_not_panic_or_colour() {
        let mut st = Style::default();
        for bad in ["\u{1b}[38;5m", "\u{1b}[38;2;1m", "\u{1b}[38;5;300m", "\u{1b}[38;9m", "\u{1b}[99999999999999m"] {
            let s = parse(bad, &mut st);
            assert_eq!(s.text, "", "{bad:?}");
        }
        assert_eq!(st.fg, None);
    }

    #[test]
    fn other_escape_sequences_are_dropped() {
        assert_eq!(plain("a\u{1b}[2Kb\u{1b}[10;20Hc\u{1b}[?25ld"), "abcd");
        assert_eq!(plain("\u{1b}]0;my title\u{7}text"), "text");
        assert_eq!(plain("\u{1b}]8;;http://x\u{1b}\\link\u{1b}]8;;\u{1b}\\"), "link");
        assert_eq!(plain("\u{1b}(Bx\u{1b}7y\u{1b}8\u{1b}Mz"), "xyz");
        assert_eq!(plain("\u{1b}P1$r\u{1b}\\after"), "after");
    }

    #[test]
    fn control_characters_become_visible_symbols() {
        assert_eq!(plain("bell\u{7} nul\u{0} del\u{7f} cr\rlf\n"), "bell␇ nul␀ del␡ cr␍lf␊");
        assert_eq!(plain("c1 \u{9b}31m csi"), "c1 <9B>31m csi");
        let s = parse("a\u{7}b", &mut Style::default());
        assert_eq!(s.runs, vec![Run { start: 1, end: 4, style: Style { control: true, ..Style::default() } }]);
        assert!(s.text.chars().all(|c| !is_control(c) || c == '\t'));
    }

    #[test]
    fn an_unfinished_sequence_shows_its_escape_and_hides_nothing() {
        assert_eq!(plain("x\u{1b}]0;never ends"), "x␛]0;never ends");
        assert_eq!(plain("x\u{1b}[31"), "x␛[31");
        assert_eq!(plain("x\u{1b}[3\u{7}1m"), "x␛[3␇1m");
        assert_eq!(plain("end\u{1b}"), "end␛");
        assert_eq!(plain("\u{1b}\u{1b}[1m"), "␛");
        assert_eq!(plain("\u{1b}é"), "␛é");
    }

    #[test]
    fn a_tty_line_ending_is_not_shown_but_other_carriage_returns_are() {
        assert_eq!(plain("line\r"), "line");
        assert_eq!(plain("50%\r100%\r"), "50%␍100%");
    }

    #[test]
    fn multibyte_text_keeps_its_runs_on_character_boundaries() {
        let mut st = Style::default();
        let s = parse("é\u{1b}[31m€ü\u{1b}[0m→", &mut st);
        assert_eq!(s.text, "é€ü→");
        let pieces: Vec<_> = s.pieces().map(|(t, _)| t).collect();
        assert_eq!(pieces, vec!["é", "€ü", "→"]);
    }
}
