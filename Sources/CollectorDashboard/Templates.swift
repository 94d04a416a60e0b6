import Mustache

/// The pages' Mustache templates (HTML content type: every `{{value}}` is escaped; `{{{html}}}` only for markup the
/// server made itself, such as charts and the page body). Texts come from `DashboardWording` as `{{w.key}}`.
enum Templates {
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, text) in sources {
            do {
                try library.register(text, named: name)
            } catch {
                preconditionFailure("dashboard template \(name) does not parse: \(error)")
            }
        }
        return library
    }()

    static let sources: [String: String] = [
        "layout": layout, "login": login, "overview": overview, "tile": tile, "sites": sites, "site": site, "alerts": alerts,
        "silences": silences, "weekly": weekly, "error": error,
    ]

    static let layout = """
        <!doctype html>
        <html lang="{{lang}}">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · sansang</title>
        <link rel="stylesheet" href="{{css}}">
        {{#live}}<noscript><meta http-equiv="refresh" content="30"></noscript>{{/live}}
        <script src="{{js}}" defer></script>
        </head>
        <body>
        <a class="skip" href="#main">{{w.skip}}</a>
        <header class="top">
        <nav aria-label="{{w.menu}}"><a class="brand" href="/">sansang</a>{{#nav}} <a href="{{href}}"{{#current}} aria-current="page"{{/current}}>{{label}}</a>{{/nav}}</nav>
        <div class="who">{{#viewer}}<span>{{name}} · {{roleName}}</span> <form method="post" action="/logout"><input type="hidden" name="csrf" value="{{csrfToken}}"><button type="submit">{{w.logout}}</button></form>{{/viewer}} <a href="{{otherLanguageHref}}" lang="{{otherLanguage}}" hreflang="{{otherLanguage}}">{{w.otherLanguage}}</a></div>
        </header>
        <main id="main"{{#live}} data-live="1"{{/live}}>
        {{{body}}}
        </main>
        </body>
        </html>
        """

    static let login = """
        <h1>{{w.appName}}</h1>
        {{#message}}<p class="notice" role="alert">{{message}}</p>{{/message}}
        <form class="login" method="post" action="/login">
        <input type="hidden" name="next" value="{{next}}">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <p><label for="name">{{w.username}}</label><input id="name" name="name" autocomplete="username" required value="{{name}}"></p>
        <p><label for="password">{{w.password}}</label><input id="password" name="password" type="password" autocomplete="current-password" required></p>
        <p><button type="submit">{{w.login}}</button></p>
        </form>
        """

    static let overview = """
        <h1 class="headline"><span class="figure" id="province-ready">{{ready}}/{{total}}</span> {{w.readyWord}} <span class="pct">({{percent}})</span></h1>
        <p class="live-note">{{w.liveNote}}</p>
        <section aria-labelledby="h-districts"><h2 id="h-districts">{{w.byDistrict}}</h2>
        <ul class="tiles">{{{tilesHTML}}}</ul>
        </section>
        <div class="cols">
        <section aria-labelledby="h-states"><h2 id="h-states">{{w.byState}}</h2>
        <table><thead><tr><th scope="col">{{w.verdict}}</th><th scope="col" class="num">{{w.count}}</th></tr></thead><tbody>
        {{#states}}<tr><td><a class="badge {{cssClass}}" href="{{href}}">{{label}}</a></td><td class="num" data-state-count="{{href}}">{{count}}</td></tr>{{/states}}
        </tbody></table></section>
        <section aria-labelledby="h-reasons"><h2 id="h-reasons">{{w.byReason}}</h2>
        <table><thead><tr><th scope="col">{{w.reason}}</th><th scope="col" class="num">{{w.count}}</th></tr></thead><tbody>
        {{#reasons}}<tr><td><a href="{{href}}">{{label}}</a></td><td class="num">{{count}}</td></tr>{{/reasons}}
        {{^reasons}}<tr><td colspan="2">{{w.none}}</td></tr>{{/reasons}}
        </tbody></table></section>
        </div>
        <section aria-labelledby="h-trend"><h2 id="h-trend">{{w.trend}}</h2>{{{trendSVG}}}<p>{{eta}}</p></section>
        <section aria-labelledby="h-changes"><h2 id="h-changes">{{w.recentChanges}}</h2>
        <div class="scroll" tabindex="0"><table><thead><tr><th scope="col">{{w.time}}</th><th scope="col">{{w.site}}</th><th scope="col">{{w.change}}</th><th scope="col">{{w.reasons}}</th></tr></thead><tbody>
        {{#changes}}<tr><td>{{time}}</td><td><a href="{{href}}">{{siteName}}</a> <span class="code">{{site}}</span></td><td>{{from}} → <span class="badge {{toClass}}">{{to}}</span></td><td>{{reasons}}</td></tr>{{/changes}}
        {{^changes}}<tr><td colspan="4">{{w.none}}</td></tr>{{/changes}}
        </tbody></table></div></section>
        """

    /// One former district's tile of the overview, rendered apart and kept while its counts stay the same.
    static let tile = """
        <li class="tile band-{{band}}"><a href="{{href}}"><span class="name">{{name}}</span> <span class="count">{{ready}}/{{total}}</span> <span class="pct">{{percent}}</span></a></li>
        """

    static let sites = """
        <h1>{{w.sites}}</h1>
        <form class="filters" method="get" action="/sites" role="search">
        <p><label for="q">{{w.search}}</label><input id="q" name="q" type="search" value="{{search}}"></p>
        <p><label for="verdict">{{w.verdict}}</label><select id="verdict" name="verdict"><option value="">{{w.all}}</option>{{#verdicts}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/verdicts}}</select></p>
        <p><label for="reason">{{w.reason}}</label><select id="reason" name="reason"><option value="">{{w.all}}</option>{{#reasons}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/reasons}}</select></p>
        <p><label for="district">{{w.formerDistrict}}</label><select id="district" name="district"><option value="">{{w.all}}</option>{{#districts}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/districts}}</select></p>
        <p><label for="type">{{w.type}}</label><select id="type" name="type"><option value="">{{w.all}}</option>{{#types}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/types}}</select></p>
        <p><label for="profile">{{w.profile}}</label><select id="profile" name="profile"><option value="">{{w.all}}</option>{{#profiles}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/profiles}}</select></p>
        <input type="hidden" name="sort" value="{{sortValue}}">
        <p><button type="submit">{{w.filter}}</button></p>
        </form>
        <p><span id="matching">{{matching}}</span> {{w.shown}} · <a href="{{csvHref}}">{{w.csv}}</a></p>
        <div class="scroll" tabindex="0"><table class="sites"><thead><tr>{{#columns}}<th scope="col" aria-sort="{{ariaSort}}"><a href="{{href}}">{{label}}</a></th>{{/columns}}<th scope="col">{{w.reasons}}</th></tr></thead><tbody>
        {{#rows}}<tr><td class="code">{{code}}</td><td><a href="{{href}}">{{name}}</a> <span class="muted">{{type}}</span></td><td>{{district}}</td><td><span class="badge {{stateClass}}">{{state}}</span></td><td>{{lastReport}}</td><td>{{reasons}}</td></tr>{{/rows}}
        {{^rows}}<tr><td colspan="6">{{w.none}}</td></tr>{{/rows}}
        </tbody></table></div>
        <nav class="pages" aria-label="{{w.pageOf}}">{{#previousHref}}<a rel="prev" href="{{previousHref}}">{{w.previous}}</a>{{/previousHref}} <span>{{w.pageOf}} {{page}}/{{pages}}</span> {{#nextHref}}<a rel="next" href="{{nextHref}}">{{w.next}}</a>{{/nextHref}}</nav>
        """

    static let site = """
        <h1>{{name}} <span class="code">{{code}}</span></h1>
        <p class="facts">{{type}} · {{w.formerDistrict}} {{district}} · {{province}} · {{w.profile}}: {{profile}}</p>
        {{#hasOffice}}
        <p class="verdict"><span class="badge big {{stateClass}}" id="site-state">{{state}}</span> {{w.since}} {{since}} · {{w.lastReport}}: {{lastReport}}{{#agent}} · {{agent}}{{/agent}}</p>
        {{/hasOffice}}
        {{^hasOffice}}<p>{{w.noOffice}}</p>{{/hasOffice}}
        {{#hasReasons}}<section aria-labelledby="h-reasons"><h2 id="h-reasons">{{w.reasons}}</h2><ul class="reasons">{{#reasons}}<li><span class="badge {{impactClass}}">{{impact}}</span> {{text}} <span class="code">{{code}}</span>{{#evidence}}<br><span class="muted">{{evidence}}</span>{{/evidence}}</li>{{/reasons}}</ul></section>{{/hasReasons}}
        {{#hasOffice}}
        {{^hasReport}}<p>{{w.agentSilent}}</p>{{/hasReport}}
        {{#hasLinks}}<section aria-labelledby="h-links"><h2 id="h-links">{{w.links}}</h2>
        <div class="scroll" tabindex="0"><table><thead><tr><th scope="col">{{w.role}}</th><th scope="col">{{w.interface}}</th><th scope="col">{{w.target}}</th><th scope="col">{{w.nic}}</th><th scope="col">{{w.lldp}}</th><th scope="col">{{w.switchSNMP}}</th><th scope="col">{{w.throughput}}</th></tr></thead><tbody>
        {{#links}}<tr{{#mismatch}} class="mismatch"{{/mismatch}}><td>{{role}}{{#mismatch}} <strong>({{w.mismatch}})</strong>{{/mismatch}}</td><td>{{interface}}</td><td>{{target}}</td><td>{{nic}}</td><td>{{lldp}}</td><td>{{snmp}}</td><td>{{throughput}}</td></tr>{{/links}}
        </tbody></table></div></section>{{/hasLinks}}
        {{#hasServices}}<section aria-labelledby="h-services"><h2 id="h-services">{{w.services}}</h2>
        <div class="scroll" tabindex="0"><table><thead><tr><th scope="col">{{w.name}}</th><th scope="col">{{w.result}}</th><th scope="col" class="num">{{w.total}}</th><th scope="col">{{w.phases}}</th><th scope="col">{{w.certificate}}</th><th scope="col">{{w.time}}</th></tr></thead><tbody>
        {{#services}}<tr><td>{{name}} <span class="muted">{{kind}}</span></td><td>{{#ok}}<span class="badge st-ready">{{result}}</span>{{/ok}}{{^ok}}<span class="badge st-not-ready">{{result}}</span>{{/ok}}</td><td class="num">{{total}}</td><td>{{phases}}</td><td>{{certificate}}</td><td>{{checkedAt}}</td></tr>{{/services}}
        </tbody></table></div></section>{{/hasServices}}
        <section aria-labelledby="h-history"><h2 id="h-history">{{w.history}}</h2>
        <h3>{{w.stateHistory}}</h3>{{{stateChart}}}
        <h3>{{w.throughputChart}}</h3>{{{throughputChart}}}{{^throughputChart}}<p>{{w.noPoints}}</p>{{/throughputChart}}
        <h3>{{w.latencyChart}}</h3>{{{latencyChart}}}{{^latencyChart}}<p>{{w.noPoints}}</p>{{/latencyChart}}
        </section>
        <section aria-labelledby="h-transitions"><h2 id="h-transitions">{{w.transitions}}</h2>
        <div class="scroll" tabindex="0"><table><thead><tr><th scope="col">{{w.time}}</th><th scope="col">{{w.change}}</th><th scope="col">{{w.reasons}}</th></tr></thead><tbody>
        {{#transitions}}<tr><td>{{time}}</td><td>{{from}} → <span class="badge {{toClass}}">{{to}}</span></td><td>{{reasons}}</td></tr>{{/transitions}}
        {{^transitions}}<tr><td colspan="3">{{w.none}}</td></tr>{{/transitions}}
        </tbody></table></div></section>
        <section aria-labelledby="h-gaps"><h2 id="h-gaps">{{w.gaps}}</h2>
        {{#hasGaps}}<ul>{{#gaps}}<li>{{from}} – {{to}}: {{count}} {{w.lost}}</li>{{/gaps}}</ul>{{/hasGaps}}{{^gaps}}<p>{{w.none}}</p>{{/gaps}}
        </section>
        {{/hasOffice}}
        <section aria-labelledby="h-alerts"><h2 id="h-alerts">{{w.alerts}}</h2>
        {{#hasAlerts}}<ul>{{#alerts}}<li><span class="badge">{{state}}</span> {{severity}} · {{rule}}: {{summary}} ({{w.since}} {{since}}){{#muted}} · {{w.muted}}{{/muted}}</li>{{/alerts}}</ul>{{/hasAlerts}}{{^alerts}}<p>{{w.noAlerts}}</p>{{/alerts}}
        </section>
        <section aria-labelledby="h-silences"><h2 id="h-silences">{{w.silences}}</h2>
        {{#hasSilences}}<ul>{{#silences}}<li>{{matchers}}: {{starts}} – {{ends}}, {{author}}: {{comment}}</li>{{/silences}}</ul>{{/hasSilences}}{{^silences}}<p>{{w.noSilences}}</p>{{/silences}}
        </section>
        """

    static let alerts = """
        <h1>{{w.alerts}}</h1>
        <div class="scroll" tabindex="0"><table><thead><tr><th scope="col">{{w.state}}</th><th scope="col">{{w.severity}}</th><th scope="col">{{w.rule}}</th><th scope="col">{{w.site}}</th><th scope="col">{{w.summary}}</th><th scope="col">{{w.since}}</th></tr></thead><tbody>
        {{#rows}}<tr><td><span class="badge {{stateClass}}">{{state}}</span>{{#muted}} <span class="muted">{{w.muted}}</span>{{/muted}}</td><td>{{severity}}</td><td>{{rule}}</td><td><a href="{{href}}">{{siteName}}</a> <span class="code">{{site}}</span></td><td>{{summary}}</td><td>{{since}}</td></tr>{{/rows}}
        {{^rows}}<tr><td colspan="6">{{w.noAlerts}}</td></tr>{{/rows}}
        </tbody></table></div>
        """

    static let silences = """
        <h1>{{w.silences}}</h1>
        {{#message}}<p class="notice" role="status">{{message}}</p>{{/message}}
        <div class="scroll" tabindex="0"><table><thead><tr><th scope="col">{{w.matchers}}</th><th scope="col">{{w.from}}</th><th scope="col">{{w.ends}}</th><th scope="col">{{w.author}}</th><th scope="col">{{w.comment}}</th>{{#canChange}}<th scope="col"><span class="sr-only">{{w.expire}}</span></th>{{/canChange}}</tr></thead><tbody>
        {{#rows}}<tr><td>{{matchers}}</td><td>{{starts}}</td><td>{{ends}}</td><td>{{author}}</td><td>{{comment}}</td>{{#canExpire}}<td><form method="post" action="{{expireAction}}"><input type="hidden" name="csrf" value="{{csrfToken}}"><button type="submit" aria-label="{{w.expire}}: {{matchers}}">{{w.expire}}</button></form></td>{{/canExpire}}</tr>{{/rows}}
        {{^rows}}<tr><td colspan="6">{{w.noSilences}}</td></tr>{{/rows}}
        </tbody></table></div>
        {{#canChange}}
        <h2>{{w.addSilence}}</h2>
        <form class="silence" method="post" action="/silences">
        <input type="hidden" name="csrf" value="{{csrfToken}}">
        <p><label for="s-site">{{w.siteCode}}</label><input id="s-site" name="site"></p>
        <p><label for="s-rule">{{w.ruleName}}</label><input id="s-rule" name="rule"></p>
        <p><label for="s-hours">{{w.duration}}</label><select id="s-hours" name="hours">{{#durations}}<option value="{{.}}">{{.}} {{w.hours}}</option>{{/durations}}</select></p>
        <p><label for="s-comment">{{w.comment}}</label><input id="s-comment" name="comment" required></p>
        <p><button type="submit">{{w.add}}</button></p>
        </form>
        {{/canChange}}
        {{^canChange}}<p class="muted">{{w.readOnly}}</p>{{/canChange}}
        """

    static let weekly = """
        <h1>{{w.weekly}}</h1>
        <p>{{w.weeklyIntro}}</p>
        <div class="scroll" tabindex="0"><table><thead><tr><th scope="col">{{w.week}}</th><th scope="col">{{w.from}}</th><th scope="col">{{w.to}}</th><th scope="col">{{w.asMailed}}</th><th scope="col">CSV</th></tr></thead><tbody>
        {{#rows}}<tr><td>{{week}}</td><td>{{from}}</td><td>{{to}}</td><td><a href="{{htmlHref}}">{{w.asMailed}} {{week}}</a></td><td><a href="{{csvHref}}">CSV {{week}}</a></td></tr>{{/rows}}
        </tbody></table></div>
        """

    static let error = """
        <h1>{{status}}</h1>
        <p role="alert">{{message}}</p>
        {{#detail}}<p class="muted">{{detail}}</p>{{/detail}}
        <p><a href="/">{{w.back}}</a></p>
        """
}
