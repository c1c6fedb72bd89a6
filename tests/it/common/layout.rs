//! Whether a screen's words fit: every `Text` on screen is measured with the
//! same shaped fonts the screen uses (parley, the language's Noto font) and
//! must fit its box, wrapped to its width, and lie inside the window.
//!
//! Slint does not say which font size a `Text` has, so each is measured at
//! the size it has at least: the buttons' captions (`BigButton::caption`) at
//! 22 px bold, every other text at 18 px, the smallest any screen uses
//! (`Theme.small`; `font_sizes_never_go_below_18px` holds the .slint files
//! to it). A text that does not fit at that size does not fit at its own.
//! A `Text` is read by its accessible label, which is its words unless the
//! `.slint` names it otherwise (then it carries an accessible value, and is
//! left out).

use i_slint_backend_testing::{ElementHandle, ElementQuery};
use onemed::i18n::Lang;
use onemed::kiosk::Kiosk;
use parley::{FontContext, FontFamily, FontWeight, LayoutContext, StyleProperty};
use slint::ComponentHandle;

/// How far a line may run past its box (anti-aliasing, rounding).
const SLACK: f32 = 2.0;

/// Slint spaces lines up to 9 % closer than the fonts' own line height
/// (which parley uses here), so a box may be that much shorter than the
/// height measured: a missing line is a third or more.
const LINE_HEIGHT_SLACK: f32 = 1.1;

struct Measure {
    fonts: FontContext,
    layouts: LayoutContext<()>,
}

impl Measure {
    /// The width of the widest line and the height of `text` wrapped at `width`.
    fn extent(
        &mut self,
        text: &str,
        family: &str,
        size: f32,
        bold: bool,
        width: f32,
    ) -> (f32, f32) {
        let mut b = self
            .layouts
            .ranged_builder(&mut self.fonts, text, 1.0, true);
        b.push_default(StyleProperty::FontFamily(FontFamily::from(family)));
        b.push_default(StyleProperty::FontSize(size));
        if bold {
            b.push_default(StyleProperty::FontWeight(FontWeight::BOLD));
        }
        let mut layout = b.build(text);
        layout.break_all_lines(Some(width));
        let widest = layout
            .lines()
            .map(|l| l.metrics().advance - l.metrics().trailing_whitespace)
            .fold(0.0, f32::max);
        (widest, layout.height())
    }
}

thread_local! {
    static MEASURE: std::cell::RefCell<Measure> = std::cell::RefCell::new(Measure {
        fonts: FontContext::new(),
        layouts: LayoutContext::new(),
    });
}

/// Words that run past their box on the screen now, one line each ("" when
/// everything fits).
pub fn overflows(k: &Kiosk, lang: Lang) -> Vec<String> {
    let window = k
        .window()
        .window()
        .size()
        .to_logical(k.window().window().scale_factor());
    let texts: Vec<ElementHandle> = ElementQuery::from_root(k.window())
        .match_descendants()
        .match_type_name("Text")
        .find_all();
    let family = lang.font_stack();
    let mut out = Vec::new();
    for t in texts {
        let Some(text) = t.accessible_label().filter(|l| !l.trim().is_empty()) else {
            continue;
        };
        // A text with an accessible value is named by its label, not read
        // out (a gate margin, PIN dots, the slip in its scrolling panel):
        // its words are not known here.
        if t.accessible_value().is_some_and(|v| !v.is_empty()) {
            continue;
        }
        let (size, pos) = (t.size(), t.absolute_position());
        if size.width < 1.0 || size.height < 1.0 || t.computed_opacity() < 0.01 {
            continue;
        }
        let caption = t.id().is_some_and(|id| id.ends_with("::caption"));
        let (px, bold) = if caption { (22.0, true) } else { (18.0, false) };
        let (w, h) = MEASURE.with(|m| m.borrow_mut().extent(&text, &family, px, bold, size.width));
        let mut why = Vec::new();
        if w > size.width + SLACK {
            why.push(format!("{w:.0} px wide in a {:.0} px box", size.width));
        }
        if h > size.height * LINE_HEIGHT_SLACK + SLACK {
            why.push(format!("{h:.0} px tall in a {:.0} px box", size.height));
        }
        if pos.x < -SLACK
            || pos.y < -SLACK
            || pos.x + size.width > window.width + SLACK
            || pos.y + size.height > window.height + SLACK
        {
            why.push(format!(
                "at ({:.0}, {:.0}) {:.0}x{:.0}, off the {:.0}x{:.0} window",
                pos.x, pos.y, size.width, size.height, window.width, window.height
            ));
        }
        if !why.is_empty() {
            out.push(format!("{text:?}: {}", why.join("; ")));
        }
    }
    out
}
