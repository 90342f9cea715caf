import Baton

struct BenchParams: FlowParameters {
    var n = 1000
}

let noop = task("noop") { (i: Int) -> Int in i }

/// `baton-bench seq`: a no-op task called `n` times in sequence.
let benchSeq = Flow("bench-seq", description: "A no-op task called n times in sequence") { (params: BenchParams) -> Int in
    var sum = 0
    for i in 0..<params.n { sum &+= try await noop(i) }
    return sum
}
