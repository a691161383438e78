/// The one HTML shell of every page; `ScriptAsset` draws the page the address names.
enum PageAsset {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dinosearch</title>
<link rel="stylesheet" href="/ui/style.css">
<link rel="icon" href="data:,">
<script type="module" src="/ui/app.js"></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="/">dinosearch</a>
  <nav aria-label="Pages">
    <a href="/" data-page="search">Search</a>
    <a href="/clusters" data-page="clusters">Clusters</a>
    <a href="/maps" data-page="maps">Patch maps</a>
    <a href="/duplicates" data-page="duplicates">Duplicates</a>
    <a href="/stats" data-page="stats">Stats</a>
  </nav>
  <p class="store"><span data-testid="store-name"></span> <span data-testid="store-count"></span></p>
</header>
<main id="main" tabindex="-1"><p class="muted">Loading…</p></main>
<dialog id="key-dialog" data-testid="key-dialog" aria-labelledby="key-title">
  <form method="dialog" id="key-form">
    <h2 id="key-title">This server needs an API key</h2>
    <p>Enter the read or write key it was started with. It is kept for this tab only.</p>
    <label for="key-input">API key</label>
    <input id="key-input" data-testid="key-input" type="password" autocomplete="off" required>
    <p class="error" id="key-error" role="alert"></p>
    <button type="submit" data-testid="key-submit">Use this key</button>
  </form>
</dialog>
</body>
</html>
"""#
}
