import BatonCore
import BatonServices
import Foundation

/// `baton channel …`, `baton automation …` and `baton webhook …`: being told, and reacting.
enum AutomationCommands {
    // MARK: Channels

    static let channelCreate = CommandSpec(
        path: ["channel", "create"], summary: "Create a notification channel: a webhook (JSON or Slack) or email through SMTP",
        details: """
            A webhook channel POSTs JSON (the event's facts, a text, a link into the UI) to its URL, or, with
            --format slack, a body Slack-compatible incoming webhooks take. A URL holding a token belongs in a
            secret: --webhook-secret NAME reads it when a message is sent.

            An email channel sends through an SMTP server; --starttls requires TLS before anything else
            (refusing a server that does not offer it), and the password comes from a secret.

            EXAMPLES:
              baton channel create ops --webhook https://hooks.example.com/baton
              printf '%s' "$SLACK_URL" | baton secret set slack-url
              baton channel create oncall --webhook-secret slack-url --format slack
              baton channel create team --email ops@example.com --email lead@example.com \\
                  --smtp smtp.example.com:587 --starttls --smtp-user baton --smtp-password-secret smtp-pass --from baton@example.com
            """,
        positionals: [PositionalSpec(name: "name", help: "The channel's name")],
        options: [
            .value("webhook", "URL", "POST notifications to this URL"), .value("webhook-secret", "SECRET", "…or to the URL this secret holds"),
            .value("format", "json|slack", "The webhook's body (default json)"),
            .value("email", "ADDRESS", "Send email to this address (repeat, or separate with commas)", repeatable: true),
            .value("smtp", "HOST:PORT", "The SMTP server"), .flag("starttls", "Require STARTTLS before authenticating or sending"),
            .value("smtp-user", "USER", "Log in to the SMTP server as USER"), .value("smtp-password-secret", "SECRET", "The secret holding the SMTP password"),
            .value("from", "ADDRESS", "The sender's address"), .json,
        ]
    ) { args, context in
        let config = try channelConfig(args)
        let channel = try context.backend().createChannel(name: args.positionals[0], config: config)
        if args.flag("json") {
            context.out.line(Format.json(channel))
        } else {
            context.out.line("Channel '\(channel.name)' sends to \(channel.target). Try it with `baton channel test \(channel.name)`.")
        }
        return 0
    }

    /// The channel `create` describes, refused in one line when it names neither kind or both.
    static func channelConfig(_ args: ParsedArguments) throws -> ChannelConfig {
        let emails = args.all("email").flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
        let webhook = args.value("webhook") != nil || args.value("webhook-secret") != nil
        guard webhook != !emails.isEmpty else {
            throw BatonError(.invalidInput, "a channel is a webhook (--webhook URL or --webhook-secret NAME) or email (--email ADDRESS): give one")
        }
        if webhook {
            let format = try args.value("format").map { text -> ChannelConfig.Format in
                guard let format = ChannelConfig.Format(rawValue: text.lowercased()) else {
                    throw BatonError(.invalidInput, "--format '\(text)' is not valid: expected json or slack")
                }
                return format
            }
            return ChannelConfig(kind: .webhook, url: args.value("webhook"), urlSecret: args.value("webhook-secret"), format: format)
        }
        guard let smtp = args.value("smtp") else { throw BatonError(.invalidInput, "an email channel needs --smtp HOST:PORT") }
        guard let colon = smtp.lastIndex(of: ":"), let port = Int(smtp[smtp.index(after: colon)...]) else {
            throw BatonError(.invalidInput, "--smtp '\(smtp)' is not valid: expected HOST:PORT, such as smtp.example.com:587")
        }
        return ChannelConfig(
            kind: .email, to: emails, from: args.value("from"), smtpHost: String(smtp[..<colon]), smtpPort: port, startTLS: args.flag("starttls"),
            smtpUser: args.value("smtp-user"), smtpPasswordSecret: args.value("smtp-password-secret"))
    }

    static let channelList = CommandSpec(path: ["channel", "ls"], summary: "List the project's notification channels", options: [.json]) { args, context in
        let channels = try context.backend().channels()
        if args.flag("json") {
            context.out.line(Format.json(channels))
        } else if channels.isEmpty {
            context.out.line("No channels. Create one with `baton channel create NAME --webhook URL`.")
        } else {
            context.out.line(Format.table(["NAME", "KIND", "SENDS TO", "CREATED"], channels.map { [$0.name, $0.kind.rawValue, $0.target, Format.ago($0.createdAt)] }))
        }
        return 0
    }

    static let channelRemove = CommandSpec(
        path: ["channel", "rm"], summary: "Delete a notification channel no automation uses", positionals: [PositionalSpec(name: "name", help: "The channel")]
    ) { args, context in
        try context.backend().deleteChannel(args.positionals[0])
        context.out.line("Deleted channel '\(args.positionals[0])'.")
        return 0
    }

    static let channelTest = CommandSpec(
        path: ["channel", "test"], summary: "Send a test message through a channel now", positionals: [PositionalSpec(name: "name", help: "The channel")]
    ) { args, context in
        let (delivered, text) = try context.backend().testChannel(args.positionals[0])
        guard delivered else {
            context.err.line("error: the test message through '\(args.positionals[0])' was not delivered: \(text)")
            return 1
        }
        context.out.line("Sent a test message through '\(args.positionals[0])': \(text).")
        return 0
    }

    // MARK: Automations

    static let automationCreate = CommandSpec(
        path: ["automation", "create"], summary: "Create an automation: a trigger, and actions when it fires",
        details: """
            TRIGGERS (one):
              --on-state S[,S…]      a flow run enters a state: failed, crashed, cancelled, completed, running,
                                     late, timedout, … (whichever process ran it)
              --absent S --within D  no run enters state S within D (30m, 2h, 1d): a service-level objective
              --worker-offline       a worker (of --pool) is taken for gone
              --success-rate-below R --over N
                                     the share of completed runs among a deployment's last N falls under R
            Narrow it with --flow, --deployment and --tag (a flow's declared tag).

            ACTIONS (one or more): --notify CHANNEL, --webhook URL, --run-deployment D [--param K=V …],
            --pause-deployment D, --cancel-run (the run that fired it).

            An automation fires once per event, evaluated by whichever process schedules (the server, or a
            worker when no server runs). Deliveries are retried with backoff and recorded: see
            `baton automation history NAME`. --cooldown D fires it again only as "suppressed" within D of
            a firing, so that a flapping flow does not page a hundred times.

            EXAMPLES:
              baton automation create page-on-failure --on-state failed,crashed --deployment nightly --notify oncall --cooldown 10m
              baton automation create nightly-slo --absent completed --within 26h --deployment nightly --notify oncall
              baton automation create stop-the-bleeding --success-rate-below 0.8 --over 20 --deployment ingest \\
                  --pause-deployment ingest --notify oncall
            """,
        positionals: [PositionalSpec(name: "name", help: "The automation's name")],
        options: [
            .value("on-state", "STATES", "Fire when a flow run enters one of these states (comma-separated)"),
            .value("absent", "STATE", "Fire when no run enters STATE within --within"), .value("within", "DURATION", "The window of --absent (30m, 2h, 1d)"),
            .flag("worker-offline", "Fire when a worker is taken for gone"),
            .value("success-rate-below", "RATE", "Fire when a deployment's success rate falls under RATE (0.9 or 90%)"),
            .value("over", "N", "…over its last N finished runs (default 10)"),
            .value("flow", "FLOW", "Only runs of this flow"), .value("deployment", "NAME", "Only runs of this deployment"),
            .value("tag", "TAG", "Only runs of flows declaring this tag", repeatable: true), .value("pool", "POOL", "--worker-offline: only workers of this pool"),
            .value("notify", "CHANNEL", "Send a notification through CHANNEL", repeatable: true),
            .value("webhook", "URL", "POST the event as JSON to URL", repeatable: true),
            .value("run-deployment", "NAME", "Run this deployment"), .value("param", "KEY=VALUE", "A parameter of --run-deployment's run", repeatable: true),
            .value("pause-deployment", "NAME", "Pause this deployment"), .flag("cancel-run", "Cancel the run that fired it"),
            .value("cooldown", "DURATION", "After firing, only record (suppressed) firings for this long"), .json,
        ]
    ) { args, context in
        let backend = try context.backend()
        let automation = try backend.createAutomation(
            NewAutomation(name: args.positionals[0], trigger: try trigger(args), actions: try actions(args, backend: backend),
                          cooldown: try args.value("cooldown").map { try Durations.parse($0, option: "--cooldown") } ?? 0))
        if args.flag("json") {
            context.out.line(Format.json(automation))
        } else {
            context.out.line("Automation '\(automation.name)': when \(automation.triggerSummary), \(automation.actionSummaries.joined(separator: ", ")).")
        }
        return 0
    }

    /// The trigger the options describe: exactly one kind.
    static func trigger(_ args: ParsedArguments) throws -> AutomationTrigger {
        let kinds = [args.value("on-state") != nil, args.value("absent") != nil, args.flag("worker-offline"), args.value("success-rate-below") != nil]
        guard kinds.filter({ $0 }).count == 1 else {
            throw BatonError(.invalidInput, "an automation needs one trigger: --on-state, --absent, --worker-offline or --success-rate-below")
        }
        let tags = args.all("tag")
        var trigger = AutomationTrigger(kind: .state, flow: args.value("flow"), deployment: args.value("deployment"), tags: tags.isEmpty ? nil : tags)
        if let states = args.value("on-state") {
            trigger.states = states.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
        } else if let expected = args.value("absent") {
            trigger.kind = .absent
            trigger.expected = expected.lowercased()
            guard let within = args.value("within") else { throw BatonError(.invalidInput, "--absent needs --within DURATION, such as 30m") }
            trigger.within = try Durations.parse(within, option: "--within")
        } else if args.flag("worker-offline") {
            trigger.kind = .workerOffline
            trigger.pool = args.value("pool")
        } else if let rate = args.value("success-rate-below") {
            trigger.kind = .successRate
            let percent = rate.hasSuffix("%")
            guard let number = Double(percent ? String(rate.dropLast()) : rate) else {
                throw BatonError(.invalidInput, "--success-rate-below '\(rate)' is not valid: expected a share such as 0.9 or 90%")
            }
            trigger.threshold = percent || number > 1 ? number / 100 : number
            trigger.runs = try args.integer("over", minimum: 1) ?? 10
        }
        return trigger
    }

    /// The actions the options name, in a fixed order: cancel, pause, notify, webhooks, run.
    static func actions(_ args: ParsedArguments, backend: any Backend) throws -> [AutomationAction] {
        var actions: [AutomationAction] = []
        if args.flag("cancel-run") { actions.append(AutomationAction(kind: .cancelRun)) }
        if let name = args.value("pause-deployment") { actions.append(AutomationAction(kind: .pauseDeployment, deployment: name)) }
        actions += args.all("notify").map { AutomationAction(kind: .notify, channel: $0) }
        actions += args.all("webhook").map { AutomationAction(kind: .webhook, url: $0) }
        if let name = args.value("run-deployment") {
            var parameters: [String: JSONValue]?
            if !args.all("param").isEmpty {
                let deployment = try backend.deployment(named: name)
                let schema = try ParameterSchema(jsonSchema: backend.version(of: deployment.flow, number: deployment.pinned).parameters, flow: deployment.flow)
                parameters = try ParameterInput.read(params: args.all("param"), file: nil, schema: schema)
            }
            actions.append(AutomationAction(kind: .runDeployment, deployment: name, parameters: parameters))
        } else if !args.all("param").isEmpty {
            throw BatonError(.invalidInput, "--param goes with --run-deployment only")
        }
        return actions
    }

    static let automationList = CommandSpec(path: ["automation", "ls"], summary: "List the project's automations", options: [.json]) { args, context in
        let automations = try context.backend().automations()
        if args.flag("json") {
            context.out.line(Format.json(automations))
        } else if automations.isEmpty {
            context.out.line("No automations. Create one with `baton automation create NAME --on-state failed --notify CHANNEL`.")
        } else {
            context.out.line(
                Format.table(
                    ["NAME", "WHEN", "THEN", "STATUS", "LAST FIRED"],
                    automations.map {
                        [$0.name, $0.triggerSummary, $0.actionSummaries.joined(separator: "; "), $0.paused ? "paused" : "active", $0.lastFiredAt.map { Format.ago($0) } ?? "never"]
                    }))
        }
        return 0
    }

    static let automationInspect = CommandSpec(
        path: ["automation", "inspect"], summary: "Show an automation: its trigger, actions and last firings",
        positionals: [PositionalSpec(name: "name", help: "The automation")], options: [.json]
    ) { args, context in
        let backend = try context.backend()
        let automation = try backend.automation(args.positionals[0])
        if args.flag("json") {
            context.out.line(Format.json(automation))
            return 0
        }
        var facts: [(String, String)] = [
            ("When", automation.triggerSummary), ("Then", automation.actionSummaries.joined(separator: "; ")),
            ("Status", automation.paused ? "paused" : "active (armed since \(Timestamps.iso(automation.armedSince)))"),
            ("Cooldown", automation.cooldownSeconds > 0 ? Durations.words(automation.cooldownSeconds) : "none"),
            ("Last fired", automation.lastFiredAt.map(Timestamps.iso) ?? "never"), ("Created", "\(Timestamps.iso(automation.createdAt)) by \(automation.createdBy ?? "-")"),
        ]
        let recent = try backend.automationHistory(automation.name, limit: 5)
        if !recent.isEmpty { facts.append(("Recent", "\(recent.count) firing(s); see `baton automation history \(automation.name)`")) }
        context.out.line(Format.columns(facts))
        return 0
    }

    static func pauseCommand(_ paused: Bool) -> CommandSpec {
        CommandSpec(
            path: ["automation", paused ? "pause" : "resume"],
            summary: paused ? "Pause an automation: it fires for nothing until resumed" : "Resume an automation: what happens from now on fires it",
            positionals: [PositionalSpec(name: "name", help: "The automation")]
        ) { args, context in
            let automation = try context.backend().setAutomationPaused(args.positionals[0], paused)
            context.out.line("Automation '\(automation.name)' is \(automation.paused ? "paused" : "active").")
            return 0
        }
    }

    static let automationDelete = CommandSpec(
        path: ["automation", "delete"], summary: "Delete an automation and its history", positionals: [PositionalSpec(name: "name", help: "The automation")]
    ) { args, context in
        try context.backend().deleteAutomation(args.positionals[0])
        context.out.line("Deleted automation '\(args.positionals[0])'.")
        return 0
    }

    static let automationHistory = CommandSpec(
        path: ["automation", "history"], summary: "An automation's firings: each event, and each delivery's status, attempts and error",
        positionals: [PositionalSpec(name: "name", help: "The automation")],
        options: [.value("limit", "N", "At most N firings (default \(AutomationService.historyDefault))"), .json]
    ) { args, context in
        let firings = try context.backend().automationHistory(
            args.positionals[0], limit: try args.integer("limit", minimum: 1) ?? AutomationService.historyDefault)
        if args.flag("json") {
            context.out.line(Format.json(firings))
            return 0
        }
        guard !firings.isEmpty else {
            context.out.line("Automation '\(args.positionals[0])' has not fired yet.")
            return 0
        }
        for firing in firings {
            context.out.line("\(Timestamps.iso(firing.firedAt))  \(firing.event.text)" + (firing.suppressed.map { "  [suppressed: \($0)]" } ?? ""))
            for delivery in firing.deliveries {
                var line = "    \(delivery.action.summary): \(delivery.status.rawValue) after \(delivery.attempts) attempt\(delivery.attempts == 1 ? "" : "s")"
                if let outcome = delivery.outcome { line += " (\(outcome))" }
                if let error = delivery.lastError { line += "; last error: \(error)" }
                if delivery.status == .pending, let next = delivery.nextAttemptAt { line += "; next attempt \(Timestamps.iso(next))" }
                context.out.line(line)
            }
        }
        return 0
    }

    // MARK: Inbound webhooks

    static let webhookCreate = CommandSpec(
        path: ["webhook", "create"], summary: "Create an inbound webhook: a URL that runs a deployment with parameters from its JSON payload",
        details: """
            Requests to POST /api/webhooks/NAME on the server are taken when they carry the webhook's token
            (Authorization: Bearer TOKEN) or sign their body with it (X-Baton-Signature: sha256=HEX, the
            HMAC-SHA256 of the body, as GitHub signs). The token is printed once, here.

            --map PARAM=PATH takes a parameter of the run from the payload, by a path such as $.ref or
            $.pull_request.number or $.commits[0].id; the values are checked against the flow's
            parameters, and a payload that lacks one or gives the wrong type is refused (422) naming it.

            EXAMPLE:
              baton webhook create on-push --deployment build --map branch=$.ref --map sha=$.after
            """,
        positionals: [PositionalSpec(name: "name", help: "The webhook's name (unique on the server)")],
        options: [
            .value("deployment", "NAME", "The deployment to run"), .value("map", "PARAM=PATH", "A parameter from the payload", repeatable: true), .json,
        ]
    ) { args, context in
        guard let deployment = args.value("deployment") else { throw BatonError(.invalidInput, "a webhook needs --deployment NAME: the deployment it runs") }
        var mapping: [String: String] = [:]
        for pair in args.all("map") {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw BatonError(.invalidInput, "--map '\(pair)' is not valid: expected PARAM=PATH, as in --map branch=$.ref")
            }
            mapping[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        let (webhook, token) = try context.backend().createWebhook(name: args.positionals[0], deployment: deployment, mapping: mapping)
        if args.flag("json") {
            context.out.line(Format.json(["name": webhook.name, "path": webhook.path, "token": token, "deployment": webhook.deployment]))
        } else {
            let base = context.api?.url ?? ProcessInfo.processInfo.environment["BATON_PUBLIC_URL"].flatMap { $0.isEmpty ? nil : $0 }
            let target = base.map { ($0.hasSuffix("/") ? String($0.dropLast()) : $0) + webhook.path } ?? "\(webhook.path) on the Baton server (`baton server start`)"
            context.out.line("Webhook '\(webhook.name)' runs deployment '\(webhook.deployment)': POST to \(target)")
            context.out.line("Its token (shown this once; keep it in your sender's secrets): \(token)")
        }
        return 0
    }

    static let webhookList = CommandSpec(path: ["webhook", "ls"], summary: "List the project's inbound webhooks", options: [.json]) { args, context in
        let webhooks = try context.backend().webhooks()
        if args.flag("json") {
            context.out.line(Format.json(webhooks))
        } else if webhooks.isEmpty {
            context.out.line("No webhooks. Create one with `baton webhook create NAME --deployment D`.")
        } else {
            context.out.line(
                Format.table(
                    ["NAME", "DEPLOYMENT", "PATH", "PARAMETERS"],
                    webhooks.map { [$0.name, $0.deployment, $0.path, $0.mapping.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")] }))
        }
        return 0
    }

    static let webhookRemove = CommandSpec(
        path: ["webhook", "rm"], summary: "Delete an inbound webhook", positionals: [PositionalSpec(name: "name", help: "The webhook")]
    ) { args, context in
        try context.backend().deleteWebhook(args.positionals[0])
        context.out.line("Deleted webhook '\(args.positionals[0])'.")
        return 0
    }

    static let all = [
        channelCreate, channelList, channelRemove, channelTest,
        automationCreate, automationList, automationInspect, pauseCommand(true), pauseCommand(false), automationDelete, automationHistory,
        webhookCreate, webhookList, webhookRemove,
    ]
}
