import Baton

struct FetchParams: FlowParameters {
    var url = ""
}

/// Fetches a URL in its flow body; a run that crashes (its worker died) is retried once.
let fetching = Flow("fetching", description: "Fetches a URL; a crashed run is retried once", retries: 1) { (params: FetchParams) -> String in
    try httpGet(params.url)
}
