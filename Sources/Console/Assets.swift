import Hummingbird
import NIOCore

/// The stylesheet, compiled into the binary. No script: the pages work without one.
enum Assets {
    static func stylesheet() -> Response {
        var response = Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: css)))
        response.headers[.contentType] = "text/css; charset=utf-8"
        response.headers[.cacheControl] = "max-age=3600"
        return response
    }

    static let css = """
    :root { --line: #06c755; --ink: #1d1d1f; --muted: #6e6e73; --bg: #f5f5f7; --bad: #c0392b; --warn: #b9770e; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 15px/1.5 system-ui, "Hiragino Sans", "Noto Sans CJK JP", "Noto Sans JP", sans-serif; color: var(--ink); background: var(--bg); }
    header { display: flex; flex-wrap: wrap; gap: 1em; align-items: center; padding: .6em 1em; background: #fff; border-bottom: 1px solid #ddd; }
    header .brand { font-weight: 700; color: var(--line); text-decoration: none; }
    nav a { margin-right: .9em; }
    .who { margin-left: auto; display: flex; gap: .5em; align-items: center; }
    main { max-width: 1100px; margin: 0 auto; padding: 1em; }
    a { color: #0b63c4; }
    table { border-collapse: collapse; width: 100%; background: #fff; margin-bottom: 1.5em; }
    th, td { text-align: left; padding: .35em .6em; border-bottom: 1px solid #eee; vertical-align: top; }
    .warn { color: var(--warn); font-weight: 600; } .bad { color: var(--bad); font-weight: 600; }
    .error, .notice { padding: .6em 1em; background: #fff; border-left: 4px solid var(--bad); }
    .notice { border-color: var(--line); }
    form.login { display: grid; gap: .8em; max-width: 22em; background: #fff; padding: 1.2em; }
    form.search, form.filter { display: flex; flex-wrap: wrap; gap: .6em; align-items: end; margin-bottom: 1em; }
    form.inline { display: inline-flex; gap: .3em; }
    input, select, button { font: inherit; padding: .3em .5em; }
    ul.chats { list-style: none; padding: 0; } ul.chats li a { display: block; background: #fff; padding: .6em 1em; margin-bottom: 2px; text-decoration: none; color: inherit; }
    ul.chats small, .meta, time { color: var(--muted); font-size: .85em; } .last { display: block; color: var(--muted); overflow: hidden; white-space: nowrap; text-overflow: ellipsis; }
    ol.conversation { list-style: none; padding: 0; display: flex; flex-direction: column; gap: .5em; }
    .bubble { max-width: 75%; background: #fff; border-radius: 14px; padding: .5em .8em; }
    .bubble.outgoing { align-self: flex-end; background: #c9f5d9; }
    .bubble.focus { outline: 3px solid #f1c40f; }
    .text { white-space: pre-wrap; overflow-wrap: anywhere; margin: .2em 0; }
    .gone { color: var(--muted); font-style: italic; margin: .2em 0; }
    img.thumb { max-width: 240px; max-height: 240px; border-radius: 8px; display: block; } img.full { max-width: 100%; }
    .state { font-size: .8em; padding: 0 .4em; border-radius: 4px; background: #eee; }
    .state.lost, .state.purged { background: #fde2e0; } .state.unsent { background: #fff0c2; } .state.archived { background: #e2f7e9; }
    .pager { display: flex; gap: 1em; }
    dl.detail { display: grid; grid-template-columns: max-content 1fr; gap: .2em 1em; background: #fff; padding: 1em; }
    dl.detail dd { margin: 0; overflow-wrap: anywhere; }
    a.button { display: inline-block; padding: .4em .9em; background: var(--line); color: #fff; border-radius: 6px; text-decoration: none; }
    """
}
