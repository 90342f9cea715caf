import Baton
import Foundation

struct Params: FlowParameters {
    var value: Int = hangWhileDescribing()
}

func hangWhileDescribing() -> Int {
    while true { sleep(60) }
}

let hanging = Flow("hangs-while-registering") { (params: Params) in }
