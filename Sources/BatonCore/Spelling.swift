/// Close spellings, for the "did you mean" of an unknown command, option or name.
///
///     Spelling.closest(to: "lss", among: ["ls", "versions", "inspect"])   // "ls"
///     Spelling.closest(to: "rnu", among: ["run", "rerun", "register"])    // "run"
public enum Spelling {
    /// The candidate nearest to `word` when it is near enough to be what was meant: at most one edit
    /// away for words of up to four letters, two up to seven, three beyond (an edit is a letter
    /// added, removed, changed, or two neighbours swapped; case is ignored). The earliest candidate
    /// wins a tie; nil when none is near enough.
    public static func closest(to word: String, among candidates: [String]) -> String? {
        let allowed = word.count <= 4 ? 1 : word.count <= 7 ? 2 : 3
        var best: (candidate: String, distance: Int)?
        for candidate in candidates where candidate != word {
            let distance = distance(word.lowercased(), candidate.lowercased())
            if distance <= allowed, distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
        }
        return best?.candidate
    }

    /// The optimal string alignment distance: how many letters must be added, removed, changed or
    /// swapped with a neighbour to turn `a` into `b`.
    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        // Three rows of the table: two back (for swaps), the previous one and the current one.
        var before = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let change = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + change)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], before[j - 2] + 1)
                }
            }
            (before, previous, current) = (previous, current, before)
        }
        return previous[b.count]
    }
}
