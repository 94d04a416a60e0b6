import Mustache

// The rows the long pages repeat (700 district tiles, 700 district options) name their fields for the templates
// directly: without this, swift-mustache finds every `{{field}}` of every row through `Mirror`, which made reflection
// most of the overview's rendering time with a national inventory.

extension OverviewModel.Tile: MustacheParent {
    public func child(named key: String) -> Any? {
        switch key {
        case "name": name
        case "href": href
        case "ready": ready
        case "total": total
        case "percent": percent
        case "band": band
        default: nil
        }
    }
}

extension OverviewModel.CountRow: MustacheParent {
    public func child(named key: String) -> Any? {
        switch key {
        case "label": label
        case "href": href
        case "count": count
        case "cssClass": cssClass
        default: nil
        }
    }
}

extension OverviewModel.ChangeRow: MustacheParent {
    public func child(named key: String) -> Any? {
        switch key {
        case "time": time
        case "site": site
        case "siteName": siteName
        case "href": href
        case "from": from
        case "to": to
        case "toClass": toClass
        case "reasons": reasons
        default: nil
        }
    }
}

extension SiteListModel.Option: MustacheParent {
    public func child(named key: String) -> Any? {
        switch key {
        case "value": value
        case "label": label
        case "selected": selected
        default: nil
        }
    }
}

extension SiteListModel.Row: MustacheParent {
    public func child(named key: String) -> Any? {
        switch key {
        case "code": code
        case "name": name
        case "href": href
        case "type": type
        case "district": district
        case "state": state
        case "stateClass": stateClass
        case "reasons": reasons
        case "lastReport": lastReport
        default: nil
        }
    }
}

extension SiteListModel.Column: MustacheParent {
    public func child(named key: String) -> Any? {
        switch key {
        case "label": label
        case "href": href
        case "ariaSort": ariaSort
        default: nil
        }
    }
}
