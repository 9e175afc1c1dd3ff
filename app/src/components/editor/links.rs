//! Artifacts drawn as connections: an SVG over the canvas with one curve from each producing
//! card to each consumer, and a dashed stub into inputs nothing upstream produces. Computed
//! from where the cards are after each change and on window resize.
use leptos::prelude::*;
use leptos::web_sys::{DomRect, Element};

use crate::pages::editor::handle::Editor;
use crate::pages::editor::links::{At, Link};

/// One curve as drawn.
#[derive(Debug, Clone, PartialEq)]
struct Curve {
    path: String,
    link: Link,
}

#[component]
pub fn ArtifactLinks(editor: Editor, graph: NodeRef<leptos::html::Div>) -> impl IntoView {
    let curves = RwSignal::new(Vec::<Curve>::new());
    let size = RwSignal::new((0.0, 0.0));
    let redraw = move || {
        // After the browser has laid the redrawn cards out.
        request_animation_frame(move || {
            // The canvas may have closed (a tab switch) before the frame.
            let (Some(Some(graph)), Some(links)) = (graph.try_get_untracked(), editor.links.try_get_untracked()) else {
                return;
            };
            curves.try_set(measure(&graph, &links));
            size.try_set((f64::from(graph.scroll_width()), f64::from(graph.scroll_height())));
        })
    };
    // Any change can move cards (a rename widens one), so every change redraws.
    Effect::new(move |_| {
        editor.state.track();
        redraw();
    });
    let resize = window_event_listener(leptos::ev::resize, move |_| redraw());
    on_cleanup(move || resize.remove());
    view! {
        <svg class="artifact-links" data-testid="artifact-links" aria-hidden="true"
            width=move || size.get().0 height=move || size.get().1>
            {move || curves.get().into_iter().map(|curve| {
                let dangling = curve.link.from.is_none();
                let from = curve.link.from.map(key).unwrap_or_default();
                view! {
                    <path d=curve.path class=if dangling { "link dangling" } else { "link" }
                        data-testid="artifact-link" data-artifact=curve.link.artifact
                        data-from=from data-to=key(curve.link.to)/>
                }
            }).collect_view()}
        </svg>
    }
}

/// How a card is found on the canvas (its `data-at` attribute).
pub fn key((stage, action): At) -> String {
    format!("{stage}-{action}")
}

fn measure(graph: &Element, links: &[Link]) -> Vec<Curve> {
    let origin = graph.get_bounding_client_rect();
    let card = |at: At| {
        let found = graph.query_selector(&format!("[data-at=\"{}\"]", key(at))).ok().flatten()?;
        Some(CardBox::from_rect(&found.get_bounding_client_rect(), &origin))
    };
    links
        .iter()
        .filter_map(|link| {
            let to = card(link.to)?;
            let path = match link.from {
                Some(from) => curve(&card(from)?, &to),
                None => format!("M {:.1} {:.1} h 22", to.left - 22.0, to.middle_y()),
            };
            Some(Curve { path, link: link.clone() })
        })
        .collect()
}

/// A card's box, relative to the canvas.
struct CardBox {
    left: f64,
    top: f64,
    right: f64,
    bottom: f64,
}

impl CardBox {
    fn from_rect(rect: &DomRect, origin: &DomRect) -> Self {
        let (x, y) = (origin.left(), origin.top());
        CardBox { left: rect.left() - x, top: rect.top() - y, right: rect.right() - x, bottom: rect.bottom() - y }
    }

    fn middle_x(&self) -> f64 {
        (self.left + self.right) / 2.0
    }

    fn middle_y(&self) -> f64 {
        (self.top + self.bottom) / 2.0
    }
}

/// Right edge to left edge between columns; bottom to top inside one column (a later group).
fn curve(from: &CardBox, to: &CardBox) -> String {
    if to.left >= from.right {
        let (x1, y1, x2, y2) = (from.right, from.middle_y(), to.left, to.middle_y());
        let bend = ((x2 - x1) / 2.0).max(16.0);
        format!("M {x1:.1} {y1:.1} C {:.1} {y1:.1}, {:.1} {y2:.1}, {x2:.1} {y2:.1}", x1 + bend, x2 - bend)
    } else {
        let (x1, y1, x2, y2) = (from.middle_x(), from.bottom, to.middle_x(), to.top);
        let bend = ((y2 - y1) / 2.0).abs().max(12.0);
        format!("M {x1:.1} {y1:.1} C {x1:.1} {:.1}, {x2:.1} {:.1}, {x2:.1} {y2:.1}", y1 + bend, y2 - bend)
    }
}
