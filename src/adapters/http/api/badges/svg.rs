//! The status badge: a flat shields-style SVG, 20 px high, a grey label on the left and the
//! status on the right in its colour (api.md §3.16).
//!
//! Upstream measures text with DejaVu Sans at 11 px. Rather than embed the font, widths come
//! from a small table of DejaVu Sans advance widths (in 1/2048 em) for the characters badges
//! usually show; other characters count as a capital letter, so unusual text is approximate.

use crate::domain::status::Status;

/// Which badge a pipeline status gives: its text and colour.
pub fn look(status: Option<Status>) -> (&'static str, &'static str) {
    match status {
        Some(Status::Success) => ("success", "#44cc11"),
        Some(Status::Failure) => ("failure", "#e05d44"),
        Some(Status::Pending | Status::Running) => ("started", "#dfb317"),
        Some(Status::Error | Status::Killed) => ("error", "#9f9f9f"),
        _ => ("none", "#9f9f9f"),
    }
}

/// The badge SVG for `label` and a pipeline status (`None`: no pipeline).
pub fn render(label: &str, status: Option<Status>) -> String {
    let (text, color) = look(status);
    let left = text_width(label) + 10;
    let right = text_width(text) + 10;
    let total = left + right;
    let (lx, rx) = (left / 2, left + right / 2);
    let label = escape(label);
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20"><linearGradient id="b" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient><mask id="a"><rect width="{total}" height="20" rx="3" fill="#fff"/></mask><g mask="url(#a)"><path fill="#555" d="M0 0h{left}v20H0z"/><path fill="{color}" d="M{left} 0h{right}v20H{left}z"/><path fill="url(#b)" d="M0 0h{total}v20H0z"/></g><g fill="#fff" text-anchor="middle" font-family="DejaVu Sans,Verdana,Geneva,sans-serif" font-size="11"><text x="{lx}" y="15" fill="#010101" fill-opacity=".3">{label}</text><text x="{lx}" y="14">{label}</text><text x="{rx}" y="15" fill="#010101" fill-opacity=".3">{text}</text><text x="{rx}" y="14">{text}</text></g></svg>"##
    )
}

/// Width in pixels of `text` in DejaVu Sans 11 px, rounded up.
pub fn text_width(text: &str) -> u32 {
    let units: u32 = text.chars().map(advance).sum();
    (units * 11).div_ceil(2048)
}

/// DejaVu Sans advance width of a character, in 1/2048 em.
fn advance(c: char) -> u32 {
    match c {
        'i' | 'j' | 'l' => 569,
        'f' => 721,
        't' => 803,
        'r' => 842,
        's' => 1067,
        'z' => 1075,
        'c' => 1126,
        'k' => 1186,
        'v' | 'x' | 'y' => 1212,
        'o' => 1253,
        'a' => 1255,
        'e' => 1260,
        'h' | 'n' | 'u' => 1298,
        'b' | 'd' | 'g' | 'p' | 'q' => 1300,
        'w' => 1675,
        'm' => 1995,
        '0'..='9' => 1303,
        ' ' | '.' | ',' => 651,
        ':' | ';' => 690,
        '-' => 739,
        '_' => 1024,
        '/' => 690,
        'I' => 604,
        'J' => 604,
        'M' => 1767,
        'W' => 2025,
        _ => 1400,
    }
}

/// Escapes text for XML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_upstreams_texts_and_colours() {
        assert_eq!(look(Some(Status::Success)), ("success", "#44cc11"));
        assert_eq!(look(Some(Status::Running)), ("started", "#dfb317"));
        assert_eq!(look(Some(Status::Killed)), ("error", "#9f9f9f"));
        assert_eq!(look(Some(Status::Declined)), ("none", "#9f9f9f"));
        assert_eq!(look(None), ("none", "#9f9f9f"));
    }

    #[test]
    fn widths_follow_the_text() {
        // "pipeline" in DejaVu Sans 11 px is about 44 px wide.
        assert_eq!(text_width("pipeline"), 44);
        assert!(text_width("mmm") > text_width("iii"));
    }

    #[test]
    fn labels_are_escaped() {
        let svg = render("a<b>&\"c\"", None);
        assert!(svg.contains("a&lt;b&gt;&amp;&quot;c&quot;"));
        assert!(!svg.contains("a<b>"));
    }
}
