import Presentation
import Synchronization

/// The overview's page body (everything inside the layout; it shows nothing of the viewer) as of one verdict
/// version, made once and served to every viewer until that version changes. A wall screen, the NOC's laptops and
/// each `/events` reload ask for the same page; made per request, each would read two weeks of transitions and
/// roll up every office. Viewers arriving together (an `/events` push reloads them all at once) wait for one making.
final class OverviewBodies: Sendable {
    /// What the body depends on: the verdicts (the store's newest transition id: any change of state or reasons is a
    /// transition), the inventory, the minute (the trend's last point and the estimate are "now") and the language.
    struct Version: Hashable, Sendable {
        var transitionID: Int64
        var inventoryGeneration: Int
        var minute: Int64
        var language: Language
    }

    private let newest = Mutex<[Language: (version: Version, body: Task<String, any Error>)]>([:])

    init() {}

    /// The body of `version`: the one already made (or being made), or else one `make` makes now.
    func body(_ version: Version, make: @escaping @Sendable () async throws -> String) async throws -> String {
        let task = newest.withLock { bodies in
            if let current = bodies[version.language], current.version == version { return current.body }
            let task = Task { try await make() }
            bodies[version.language] = (version, task)
            return task
        }
        do {
            return try await task.value
        } catch {
            // A failed making (the store unavailable) is not kept: the next request tries again.
            newest.withLock { bodies in
                if bodies[version.language]?.version == version { bodies[version.language] = nil }
            }
            throw error
        }
    }
}

/// The overview's district tiles as HTML, each kept while its counts stay the same. After a verdict change most of
/// a national overview's 700 tiles are what they were; rendering every one again through the template was a quarter
/// of the overview's making.
final class TileFragments: Sendable {
    private let rendered = Mutex<[OverviewModel.Tile: String]>([:])

    init() {}

    /// The tiles' HTML in order: kept fragments, the others rendered now (and kept).
    func html(_ tiles: [OverviewModel.Tile]) -> String {
        var kept = rendered.withLock { $0 }
        var html = ""
        var made: [OverviewModel.Tile: String] = [:]
        for tile in tiles {
            if let fragment = kept[tile] {
                html += fragment
            } else {
                let fragment = Templates.library.render(tile, withTemplate: "tile") ?? ""
                made[tile] = fragment
                html += fragment
            }
        }
        guard !made.isEmpty else { return html }
        kept.merge(made) { _, new in new }
        // Tiles of counts no longer shown pile up as verdicts move; a generous bound keeps the recent ones.
        if kept.count > 4 * tiles.count + 64 { kept = made }
        rendered.withLock { $0 = kept }
        return html
    }
}
