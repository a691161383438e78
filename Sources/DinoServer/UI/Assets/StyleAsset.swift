/// The pages' style sheet: system fonts, a grid of thumbnails, nothing fetched.
enum StyleAsset {
    static let css = #"""
:root { --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg: #ffffff; --panel: #f6f8fa; --accent: #0550ae;
  --bad: #a40e26; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
* { box-sizing: border-box; }
body { margin: 0; }
a { color: var(--accent); }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 8px; top: 8px; background: var(--bg); padding: 4px 8px; z-index: 10; }
.top { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 24px; padding: 10px 20px; border-bottom: 1px solid var(--line); background: var(--panel); }
.brand { font-weight: 700; font-size: 1.15rem; text-decoration: none; color: var(--fg); }
nav a { margin-right: 14px; text-decoration: none; padding: 4px 2px; }
nav a[aria-current="page"] { font-weight: 700; border-bottom: 2px solid var(--accent); }
.store { margin: 0 0 0 auto; color: var(--muted); font-size: .9rem; }
main { padding: 16px 20px 40px; }
main:focus { outline: none; }
h1 { font-size: 1.3rem; margin: 4px 0 12px; }
h2 { font-size: 1.1rem; }
.muted { color: var(--muted); }
.error { color: var(--bad); font-weight: 600; }
.controls { display: flex; flex-wrap: wrap; gap: 12px 18px; align-items: end; margin-bottom: 14px; }
.controls label { display: flex; flex-direction: column; font-size: .85rem; color: var(--muted); gap: 3px; }
input, select, button { font: inherit; }
input[type=number] { width: 6.5em; }
input[type=text] { width: 14em; }
button, .button { padding: 5px 12px; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--fg); cursor: pointer; text-decoration: none; display: inline-block; }
button:hover, .button:hover { border-color: var(--accent); }
:focus-visible { outline: 3px solid #2f81f7; outline-offset: 2px; }
.drop { border: 2px dashed var(--line); border-radius: 10px; padding: 14px 18px; display: flex; gap: 16px; align-items: center; flex-wrap: wrap; }
.drop.over { border-color: var(--accent); background: #eef4ff; }
.drop img { max-height: 110px; max-width: 160px; border-radius: 6px; }
.summary { margin: 10px 0; color: var(--muted); }
.grid { list-style: none; padding: 0; margin: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 14px; }
.card { border: 1px solid var(--line); border-radius: 8px; overflow: hidden; background: var(--bg); display: flex; flex-direction: column; }
.thumb { width: 100%; aspect-ratio: 4 / 3; object-fit: cover; background: var(--panel); display: block; }
.missing { width: 100%; aspect-ratio: 4 / 3; background: repeating-linear-gradient(45deg, #f6f8fa, #f6f8fa 8px, #eaeef2 8px, #eaeef2 16px);
  display: flex; align-items: center; justify-content: center; text-align: center; padding: 8px; font-size: .8rem; color: var(--bad); }
.meta { padding: 6px 9px 9px; font-size: .82rem; display: flex; flex-direction: column; gap: 2px; }
.meta .name { font-weight: 600; overflow-wrap: anywhere; }
.meta .folder { color: var(--muted); overflow-wrap: anywhere; }
.score { font-variant-numeric: tabular-nums; font-weight: 700; }
.actions { display: flex; gap: 6px; margin-top: 6px; flex-wrap: wrap; }
.actions button, .actions a { font-size: .8rem; padding: 3px 8px; }
.mosaic { display: grid; grid-template-columns: 1fr 1fr; gap: 2px; background: var(--panel); }
.mosaic img, .mosaic .missing { aspect-ratio: 1; width: 100%; object-fit: cover; display: block; }
.cluster-card button.open { margin: 8px 9px 10px; }
.members { margin-top: 18px; border-top: 1px solid var(--line); padding-top: 8px; }
.pager { display: flex; gap: 10px; align-items: center; margin: 14px 0; }
progress { width: 320px; }
.maps { display: flex; flex-wrap: wrap; gap: 18px; align-items: flex-start; }
.maps figure { margin: 0; max-width: 390px; }
.maps img, .maps .missing { max-width: 100%; height: auto; display: block; border-radius: 6px; }
.maps .photo { min-width: 200px; }
.overlay { position: relative; display: inline-block; }
.overlay img.over { position: absolute; inset: 0; width: 100%; height: 100%; }
figcaption { font-size: .85rem; color: var(--muted); margin-top: 4px; }
.group { border: 1px solid var(--line); border-radius: 10px; padding: 4px 14px 14px; margin: 14px 0; }
.group:focus { outline: 3px solid #2f81f7; }
.member[data-decision="trash"] { border-color: var(--bad); }
.member[data-decision="trash"] .thumb { opacity: .55; }
.member .path { font-weight: 400; font-size: .78rem; }
.field.differs { background: #fff3b0; color: #1b1f24; border-radius: 3px; padding: 0 3px; font-weight: 600; }
.verdict { font-size: .8rem; color: var(--muted); align-self: center; }
button[aria-pressed="true"] { background: var(--bad); color: #fff; border-color: var(--bad); }
.warning { background: #fff3b0; color: #1b1f24; padding: 6px 10px; border-radius: 6px; }
button:disabled { opacity: .5; cursor: default; }
dialog.comparator { width: 94vw; max-width: 94vw; }
.compare-stage { display: flex; gap: 8px; flex-wrap: wrap; touch-action: none; cursor: grab; }
.compare-stage input[type=range] { width: 100%; }
.pane { flex: 1 1 400px; height: 62vh; overflow: hidden; position: relative; background: var(--panel); border-radius: 6px; }
.pane img.photo { transform-origin: 0 0; width: 100%; height: auto; display: block; }
.pane.stacked img { position: absolute; top: 0; left: 0; }
.pane.stacked img.over { width: 100%; height: auto; }
.pane.stacked img.difference { mix-blend-mode: multiply; }  /* white where the patches agree: the photo unchanged */
dl.stats { display: grid; grid-template-columns: max-content 1fr; gap: 6px 18px; }
dl.stats dt { color: var(--muted); }
dl.stats dd { margin: 0; overflow-wrap: anywhere; }
dialog { border: 1px solid var(--line); border-radius: 10px; max-width: 420px; }
dialog label { display: block; margin: 10px 0 4px; }
dialog input { width: 100%; margin-bottom: 8px; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6edf3; --muted: #9da7b1; --line: #30363d; --bg: #0d1117; --panel: #161b22; --accent: #58a6ff; --bad: #ff7b72; }
  .drop.over { background: #102040; }
  .missing { background: repeating-linear-gradient(45deg, #161b22, #161b22 8px, #21262d 8px, #21262d 16px); }
}
"""#
}
