import Baton

struct Params: FlowParameters {
    var value: Int = crashWhileDescribing()
}

func crashWhileDescribing() -> Int {
    fatalError("this library crashes while Baton reads its manifest")
}

let crashing = Flow("crashes-while-registering") { (params: Params) in }
