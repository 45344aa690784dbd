import Mustache

/// The console's pages as mustache templates, compiled into the binary: nothing to install
/// beside it. `{{x}}` escapes HTML (quotes included); `{{{body}}}` is only ever a page this
/// library rendered.
enum Templates {
    static func library() throws -> MustacheLibrary {
        var library = MustacheLibrary()
        for (name, text) in all { try library.register(text, named: name) }
        return library
    }

    static let all: [(String, String)] = [
        ("layout", layout), ("login", login), ("dashboard", dashboard), ("chats", chats), ("conversation", conversation),
        ("item", item), ("tags", tags), ("search", search), ("message", message), ("exports", exports), ("lost", lost), ("holds", holds),
        ("audit", audit), ("problem", problem),
    ]

    static let layout = #"""
    <!doctype html>
    <html lang="{{lang}}">
    <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{{title}} · TalkVault</title><link rel="stylesheet" href="/assets/console.css"></head>
    <body>
    <header>
    <a class="brand" href="/">TalkVault</a>
    {{#user}}<nav>
    <a href="/">{{t.dashboard}}</a><a href="/chats">{{t.chats}}</a><a href="/search">{{t.search}}</a><a href="/lost">{{t.lost}}</a>
    {{#nav.exports}}<a href="/exports">{{t.exports}}</a>{{/nav.exports}}{{#nav.holds}}<a href="/holds">{{t.holds}}</a>{{/nav.holds}}{{#nav.audit}}<a href="/audit">{{t.audit}}</a>{{/nav.audit}}
    </nav>
    <form class="who" method="post" action="/logout"><span>{{t.signed_in_as}} <b>{{user.name}}</b> ({{user.role}})</span>
    <input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">{{t.sign_out}}</button></form>{{/user}}
    <a class="lang" href="{{langLink}}">{{t.language}}</a>
    </header>
    <main>
    {{#notice}}<p class="notice">{{notice}}</p>{{/notice}}
    {{{body}}}
    </main>
    </body>
    </html>
    """#

    static let login = #"""
    <h1>{{t.sign_in}}</h1>
    {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
    <form class="login" method="post" action="/login">
    <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="next" value="{{next}}">
    <label>{{t.username}} <input name="username" autocomplete="username" required maxlength="64" value="{{username}}"></label>
    <label>{{t.password}} <input name="password" type="password" autocomplete="current-password" required maxlength="200"></label>
    <button type="submit">{{t.sign_in}}</button>
    </form>
    """#

    static let dashboard = #"""
    <h1>{{t.dashboard}}</h1>
    <table><thead><tr><th>{{t.channel}}</th><th>{{t.messages}}</th><th>{{t.pending}}</th><th>{{t.at_risk}}</th><th>{{t.overdue}}</th>
    <th>{{t.archived}}</th><th>{{t.lost}}</th><th>{{t.unread}}</th><th>{{t.last_message}}</th></tr></thead><tbody>
    {{#channels}}<tr><td>{{name}}</td><td>{{messages}}</td><td>{{pending}}</td><td class="{{#atRisk}}warn{{/atRisk}}">{{atRisk}}</td>
    <td class="{{#overdue}}bad{{/overdue}}">{{overdue}}</td><td>{{archived}}</td><td>{{lost}}</td><td>{{unread}}</td><td>{{lastMessageAt}}</td></tr>{{/channels}}
    </tbody></table>
    <h2>{{t.at_risk}}</h2>
    {{^risk}}<p>{{t.nothing}}</p>{{/risk}}{{#has_risk}}<table><thead><tr><th>{{t.due}}</th><th>{{t.channel}}</th><th>{{t.kind}}</th><th>{{t.chat}}</th><th>{{t.id}}</th></tr></thead><tbody>{{/has_risk}}
    {{#risk}}<tr><td>{{due}}</td><td>{{channel}}</td><td>{{kind}}</td><td>{{chat}}</td><td><a href="/messages/{{id}}">{{id}}</a></td></tr>{{/risk}}
    {{#has_risk}}</tbody></table>{{/has_risk}}
    <h2>{{t.lost_this_week}} <small>({{weekStart}} –)</small></h2>
    {{^lostWeek}}<p>{{t.nothing}}</p>{{/lostWeek}}{{#has_lostWeek}}<table><thead><tr><th>{{t.channel}}</th><th>{{t.reason}}</th><th>{{t.count}}</th></tr></thead><tbody>{{/has_lostWeek}}
    {{#lostWeek}}<tr><td>{{channel}}</td><td>{{reason}}</td><td><a href="/lost?reason={{reason}}">{{count}}</a></td></tr>{{/lostWeek}}
    {{#has_lostWeek}}</tbody></table>{{/has_lostWeek}}
    <h2>{{t.last_runs}}</h2>
    <table><thead><tr><th>{{t.command}}</th><th>{{t.finished}}</th><th>{{t.outcome}}</th><th></th></tr></thead><tbody>
    {{#runs}}<tr><td>{{command}}</td><td>{{finished}}</td><td class="{{#failed}}bad{{/failed}}">{{outcome}}</td><td>{{summary}}</td></tr>{{/runs}}
    </tbody></table>
    {{#has_relay}}<h2>{{t.relay}}</h2><table><thead><tr><th>{{t.target}}</th><th>{{t.lag}}</th><th>{{t.oldest}}</th><th>{{t.failing}}</th></tr></thead><tbody>{{/has_relay}}
    {{#relay}}<tr><td>{{name}}</td><td>{{lagBodies}}</td><td>{{lagSeconds}}</td><td class="{{#failingSince}}bad{{/failingSince}}">{{failingSince}} {{lastError}}</td></tr>{{/relay}}
    {{#has_relay}}</tbody></table>{{/has_relay}}
    """#

    static let chats = #"""
    <h1>{{t.chats}}</h1>
    <form method="get" action="/chats" class="filter"><input name="q" value="{{q}}" placeholder="{{t.filter_chats}}" maxlength="200">
    <button type="submit">{{t.filter}}</button></form>
    {{^chats}}<p>{{t.nothing}}</p>{{/chats}}
    <ul class="chats">{{#chats}}<li><a href="/chats/{{chatId}}"><b>{{name}}</b> <small>{{chatType}} · {{channel}} · {{messages}} {{t.messages}}</small>
    <span class="last">{{lastAt}} {{lastText}}</span></a></li>{{/chats}}</ul>
    <p class="pager">{{#prev}}<a href="{{prev}}">{{t.newer}}</a>{{/prev}} {{#next}}<a href="{{next}}">{{t.older}}</a>{{/next}}</p>
    """#

    static let conversation = #"""
    <h1>{{chat.name}} <small>{{chat.chatType}} · {{chat.channel}} · {{chat.messages}} {{t.messages}}</small></h1>
    <div class="chat-tags">{{t.tags}}: {{> tags}}</div>
    <p class="pager">{{#older}}<a href="{{older}}">↑ {{t.older}}</a>{{/older}} <a href="/chats/{{chat.chatId}}">{{t.newest}}</a></p>
    <ol class="conversation">{{#items}}{{> item}}{{/items}}</ol>
    <p class="pager">{{#newer}}<a href="{{newer}}">↓ {{t.newer}}</a>{{/newer}}</p>
    """#

    static let item = #"""
    <li id="m-{{id}}" class="bubble {{side}}{{#focus}} focus{{/focus}}">
    <div class="meta"><span class="sender">{{sender}}</span> <time>{{sent}}</time> <a href="/messages/{{id}}">#</a>
    <span class="state {{stateClass}}">{{state}}</span>{{#edited}} <span class="state">{{t.edited}}</span>{{/edited}}</div>
    {{#purged}}<p class="gone">{{purged}}</p>{{/purged}}
    {{#text}}<p class="text">{{text}}</p>{{/text}}
    {{#image}}<a href="/messages/{{id}}"><img class="thumb" src="/messages/{{id}}/content?inline=1" alt="{{fileName}}" loading="lazy"></a>{{/image}}
    {{#download}}<a class="file" href="/messages/{{id}}/content">⤓ {{fileName}}</a>{{/download}}
    </li>
    """#

    static let search = #"""
    <h1>{{t.search}}</h1>
    <form method="get" action="/search" class="search">
    <label>{{t.text_query}} <input name="q" value="{{form.q}}" maxlength="200"></label>
    <label>{{t.chat}} <input name="chat" value="{{form.chat}}" maxlength="200"></label>
    <label>{{t.user}} <input name="user" value="{{form.user}}" maxlength="200"></label>
    <label>{{t.kind}} <select name="kind"><option value="">{{t.any}}</option>{{#kinds}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/kinds}}</select></label>
    <label>{{t.state}} <select name="state"><option value="">{{t.any}}</option>{{#states}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/states}}</select></label>
    <label>{{t.since}} <input name="since" type="date" value="{{form.since}}"></label>
    <label>{{t.until}} <input name="until" type="date" value="{{form.until}}"></label>
    <button type="submit">{{t.search}}</button></form>
    {{#searched}}<h2>{{t.results}} ({{total}})</h2>{{^results}}<p>{{t.no_results}}</p>{{/results}}{{/searched}}
    <ol class="results">{{#results}}<li><a href="/chats/{{chatId}}?around={{id}}#m-{{id}}">{{t.open_in_chat}}</a>
    <time>{{sent}}</time> <b>{{chatName}}</b> · {{sender}} · {{kind}} <span class="state {{stateClass}}">{{state}}</span>
    <p class="text">{{summary}}</p></li>{{/results}}</ol>
    {{#more}}<p class="pager"><a href="{{more}}">{{t.more_results}}</a></p>{{/more}}
    """#

    static let message = #"""
    <h1>{{t.message}} {{id}}</h1>
    <p><a href="/chats/{{chatId}}?around={{id}}#m-{{id}}">{{t.open_in_chat}}</a></p>
    <dl class="detail">{{#fields}}<dt>{{label}}</dt><dd>{{value}}</dd>{{/fields}}</dl>
    {{#image}}<p><img class="full" src="/messages/{{id}}/content?inline=1" alt="{{fileName}}"></p>{{/image}}
    {{#restorable}}<p><a class="button" href="/messages/{{id}}/content">⤓ {{t.restore}}</a></p>{{/restorable}}
    {{#has_edits}}<h2>{{t.edits}}</h2><ol>{{/has_edits}}{{#edits}}<li><time>{{at}}</time> <span class="text">{{text}}</span></li>{{/edits}}{{#has_edits}}</ol>{{/has_edits}}
    <h2>{{t.history}}</h2><ol class="history">{{#history}}<li><time>{{at}}</time> {{what}} {{detail}}</li>{{/history}}</ol>
    {{#has_exports}}<h2>{{t.exported_in}}</h2><ul>{{/has_exports}}{{#exports}}<li>{{.}}</li>{{/exports}}{{#has_exports}}</ul>{{/has_exports}}
    {{#canMarkRead}}<form method="post" action="/messages/{{id}}/read"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">{{t.mark_read}}</button></form>{{/canMarkRead}}
    <h2>{{t.tags}}</h2>{{> tags}}
    {{#has_chatTags}}<p>{{t.chat}}: {{#chatTags}}<span class="state">{{.}}</span> {{/chatTags}}</p>{{/has_chatTags}}
    """#

    static let tags = #"""
    <p class="tags">{{#tags}}<span class="state">{{.}}</span>{{#canTag}}<form method="post" action="{{tagAction}}" class="inline">
    <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="action" value="remove"><input type="hidden" name="tag" value="{{.}}">
    <button type="submit" title="{{t.remove_tag}}">×</button></form>{{/canTag}} {{/tags}}</p>
    {{#canTag}}<form method="post" action="{{tagAction}}" class="inline"><input type="hidden" name="csrf" value="{{csrf}}">
    <input name="tag" required maxlength="40"><button type="submit">{{t.add_tag}}</button></form>{{/canTag}}
    """#

    static let exports = #"""
    <h1>{{t.exports}}</h1>
    {{#canExport}}{{#due}}<form method="post" action="/exports"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="week" value="{{due}}">
    <button type="submit">{{makeLabel}}</button></form>{{/due}}{{/canExport}}
    {{^weeks}}<p>{{t.nothing}}</p>{{/weeks}}
    {{#has_weeks}}<table><thead><tr><th>{{t.week}}</th><th>{{t.channel}}</th><th>{{t.rows}}</th><th>{{t.late_rows}}</th><th>{{t.unread_left_out}}</th>
    <th>{{t.lost_items}}</th><th></th></tr></thead><tbody>{{/has_weeks}}
    {{#weeks}}<tr><td>{{week}}</td><td>{{channel}}</td><td>{{rows}}</td><td>{{lateRows}}</td><td>{{unread}}</td><td>{{lost}}</td>
    <td>{{#purgedUnder}}{{t.purged_under}} {{purgedUnder}}{{/purgedUnder}}{{^purgedUnder}}<a href="/exports/{{week}}.csv{{query}}">{{t.csv}}</a> · <a href="/exports/{{week}}.manifest.json{{query}}">{{t.manifest}}</a>{{/purgedUnder}}</td></tr>{{/weeks}}
    {{#has_weeks}}</tbody></table>{{/has_weeks}}
    """#

    static let lost = #"""
    <h1>{{t.lost}}</h1>
    {{^items}}<p>{{t.nothing}}</p>{{/items}}
    {{#has_items}}<table><thead><tr><th>{{t.sent}}</th><th>{{t.chat}}</th><th>{{t.kind}}</th><th>{{t.reason}}</th><th>{{t.id}}</th></tr></thead><tbody>{{/has_items}}
    {{#items}}<tr><td>{{sent}}</td><td><a href="/chats/{{chatId}}?around={{id}}#m-{{id}}">{{chatName}}</a></td><td>{{kind}}</td><td>{{reason}}</td><td><a href="/messages/{{id}}">{{id}}</a></td></tr>{{/items}}
    {{#has_items}}</tbody></table>{{/has_items}}
    {{#more}}<p class="pager"><a href="{{more}}">{{t.more_results}}</a></p>{{/more}}
    """#

    static let holds = #"""
    <h1>{{t.holds}}</h1>
    {{^holds}}<p>{{t.nothing}}</p>{{/holds}}
    {{#has_holds}}<table><thead><tr><th>{{t.name}}</th><th>{{t.scope}}</th><th>{{t.reason}}</th><th>{{t.created}}</th><th>{{t.released}}</th><th></th></tr></thead><tbody>{{/has_holds}}
    {{#holds}}<tr><td>{{name}}</td><td>{{scope}}</td><td>{{reason}}</td><td>{{created}}</td><td>{{released}}</td>
    <td>{{#canRelease}}<form method="post" action="/holds/{{name}}/release" class="inline"><input type="hidden" name="csrf" value="{{csrf}}">
    <input name="reason" required maxlength="500" placeholder="{{t.reason}}"><button type="submit">{{t.release}}</button></form>{{/canRelease}}</td></tr>{{/holds}}
    {{#has_holds}}</tbody></table>{{/has_holds}}
    {{#canManage}}<h2>{{t.add_hold}}</h2><form method="post" action="/holds" class="search"><input type="hidden" name="csrf" value="{{csrf}}">
    <label>{{t.name}} <input name="name" required maxlength="40"></label>
    <label>{{t.reason}} <input name="reason" required maxlength="500"></label>
    <label>{{t.chat}} <input name="chat" maxlength="80"></label><label>{{t.user}} <input name="user" maxlength="80"></label>
    <label>{{t.since}} <input name="since" type="date"></label><label>{{t.until}} <input name="until" type="date"></label>
    <button type="submit">{{t.add_hold}}</button></form>{{/canManage}}
    """#

    static let audit = #"""
    <h1>{{t.audit}}</h1>
    <table><thead><tr><th>#</th><th>{{t.when}}</th><th>{{t.who}}</th><th>{{t.action}}</th><th>{{t.targets}}</th><th>{{t.reason}}</th><th>{{t.outcome}}</th></tr></thead><tbody>
    {{#entries}}<tr><td>{{seq}}</td><td>{{at}}</td><td>{{who}}</td><td>{{action}}</td><td>{{target}}</td><td>{{reason}}</td><td>{{outcome}}</td></tr>{{/entries}}
    </tbody></table>
    {{#more}}<p class="pager"><a href="{{more}}">{{t.more_results}}</a></p>{{/more}}
    """#

    static let problem = #"""
    <h1>{{heading}}</h1><p>{{message}}</p><p><a href="/">{{t.back}}</a></p>
    """#
}
