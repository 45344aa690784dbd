/// Deterministic Japanese display names, so the export and tests see realistic sender names.
enum Profiles {
    static let family = ["山田", "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "中村", "小林", "加藤", "吉田", "山本"]
    static let given = ["太郎", "花子", "翔太", "陽菜", "蓮", "結衣", "大輔", "さくら", "健", "美咲", "悠斗", "愛"]
    static let decorations = ["", "", "", " 🌸", "（店長）", " Jr.", "⭐"]

    static func displayName(for userId: String, seed: UInt64) -> String {
        var rng = SeededGenerator(seed: seed, "profile", userId)
        let f = family[Int(rng.next() % UInt64(family.count))]
        let g = given[Int(rng.next() % UInt64(given.count))]
        let d = decorations[Int(rng.next() % UInt64(decorations.count))]
        return "\(f) \(g)\(d)"
    }
}
