"""Page styles and scripts the Toy and CT pages inject: a compact header, presentation mode for a projector, keys.

Plain CSS and JavaScript constants (no user text ever reaches them), shown with `st.html` and a component.
"""

# A page's header is compact (Streamlit's 6rem top padding cut to its header bar's height, a smaller title), so
# the Toy landscape, 600 px high, is whole on a 1280 x 720 screen (y 106-706) and the CT page's iterates start on
# it: a lesson's key figure on the first screen.
COMPACT_CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 3.75rem !important; }
[data-testid="stMain"] h1 { font-size: 2rem !important; padding: 0.25rem 0 !important; }
</style>"""
# Presentation mode: everything but the picture and its controls goes; the sidebar too, unless a lesson is open in
# it (PRESENT_LESSON_CSS keeps it, with the lesson panel at its top).
_PRESENT_PAGE = """
[data-testid="stMainBlockContainer"] { padding-top: 0.5rem !important; max-width: 100% !important; }
[data-testid="stMain"] { font-size: 1.15rem; }
[data-testid="stMain"] h1 { font-size: 1.6rem !important; padding: 0 !important; }
"""
PRESENT_LESSON_CSS = "<style>header[data-testid=\"stHeader\"] { display: none !important; }" + _PRESENT_PAGE + "</style>"
PRESENT_CSS = """<style>
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"]
  { display: none !important; }
""" + _PRESENT_PAGE + "</style>"

# Keys for a page's buttons: data.buttons maps a KeyboardEvent.key ("p", "End") to a button's Streamlit key; a
# press clicks that button unless the focus is in a field (typing a number must not play the run).
KEYS_JS = """
export default function (component) {
  const buttons = (component.data && component.data.buttons) || {};
  const press = (e) => {
    const typing = e.target.closest && e.target.closest("input, textarea, select, [contenteditable]");
    if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
    const name = buttons[e.key] || buttons[e.key.toLowerCase()];
    const button = name && document.querySelector(`.st-key-${name} button`);
    if (button && !button.disabled) { e.preventDefault(); button.click(); }
  };
  document.addEventListener("keydown", press);
  return () => document.removeEventListener("keydown", press);
}
"""
