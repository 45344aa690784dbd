/// Ids bound as `IN (?1, ?2, …)` lists, in chunks that stay under SQLite's bound-parameter limit.
enum SQLLists {
    /// `ids` in chunks of at most `size`.
    static func chunks(_ ids: [String], size: Int = 400) -> [ArraySlice<String>] {
        stride(from: 0, to: ids.count, by: size).map { ids[$0..<min($0 + size, ids.count)] }
    }

    /// `?1,?2,…,?count`.
    static func placeholders(_ count: Int) -> String { (1...max(1, count)).map { "?\($0)" }.joined(separator: ",") }
}
