import Central

/// The fleet as Prometheus metrics: `venue_central_*` for central itself, `venue_fleet_node_*`
/// per node (label `node`), `venue_reconcile_*` for the reconciliation job. Ages are seconds on
/// central's clock; `+Inf` for what never happened (a node that never pushed a record, a run
/// that never finished), so an alert on age fires for it as for one long ago.
public enum FleetExposition {
    /// The text of one scrape: ``FleetSnapshot`` when central answered, else only
    /// `venue_central_up 0`.
    public static func text(_ snapshot: FleetSnapshot?) -> String {
        var text = MetricsText()
        text.family("venue_central_up", .gauge, "1 when central answered this scrape, 0 when it could not be read.") {
            $0.sample(snapshot == nil ? 0 : 1)
        }
        guard let snapshot else { return text.rendered }
        text.family("venue_central_read_only", .gauge, "1 while central refuses writes (read_only): no node can push.")
        {
            $0.sample(snapshot.readOnly ? 1 : 0)
        }
        text.family("venue_central_schema_version", .gauge, "Central schema migrations applied.") {
            $0.sample(Double(snapshot.schemaVersion))
        }
        nodes(snapshot, into: &text)
        reconciliation(snapshot, into: &text)
        return text.rendered
    }

    private static func nodes(_ snapshot: FleetSnapshot, into text: inout MetricsText) {
        let nodes = snapshot.nodes
        func perNode(
            _ name: String, _ help: String, _ kind: MetricsText.Kind = .gauge, _ value: (NodeReport) -> Double?
        ) {
            text.family(name, kind, help) { family in
                for node in nodes { if let value = value(node) { family.sample(value, ["node": node.id]) } }
            }
        }
        perNode(
            "venue_fleet_node_last_contact_age_seconds",
            "Seconds since central last heard from the node (each sync cycle pulls, then pushes or sends a heartbeat)."
        ) { snapshot.age(of: $0.lastSeenAt) }
        perNode(
            "venue_fleet_node_last_push_age_seconds", "Seconds since the node last pushed records (+Inf: never)."
        ) {
            snapshot.age(of: $0.lastPushAt)
        }
        perNode(
            "venue_fleet_node_outbox_records", "Records the node still held for central, as reported at its last push."
        ) {
            Double($0.outboxPending)
        }
        perNode(
            "venue_fleet_node_outbox_lag_seconds",
            "Age of the oldest record the node still held at its last push (0 when none)."
        ) { Double($0.lagSeconds) }
        perNode("venue_fleet_node_changes_behind", "Changes central holds for the node after its pull position.") {
            Double($0.changesBehind)
        }
        perNode(
            "venue_fleet_node_pull_lag_seconds",
            "Age of the oldest change central holds for the node after the pull position it last reported (0: none)."
        ) { Double($0.pullLagSeconds) }
        perNode(
            "venue_fleet_node_parked_records", "The node's records central could never apply, kept with their error."
        ) {
            Double($0.recordsParked)
        }
        perNode(
            "venue_fleet_node_records_applied_total", "The node's records central applied.", .counter
        ) { Double($0.recordsApplied) }
        perNode(
            "venue_fleet_node_clock_offset_seconds",
            "How far the node's clock was ahead of central's (negative: behind) at its last contact."
        ) { $0.clockOffsetSeconds.map(Double.init) }
        perNode("venue_fleet_node_epoch", "The node's epoch: moved on by every restore of its database.") {
            Double($0.epoch)
        }
        perNode("venue_fleet_node_protocol_version", "The sync protocol version of the node's last push.") {
            Double($0.protocolVersion)
        }
        perNode(
            "venue_fleet_node_back_after_retirement",
            "1 when central heard from the node after head office retired it and no one reinstated it since "
                + "(central nodes reinstate NODE says it is meant to be back)."
        ) { $0.backWithoutReinstatement ? 1 : 0 }
        text.family(
            "venue_fleet_node_sync_mode", .gauge,
            "1 for the node's sync mode as central tells it: writable, read_only (central), incompatible, silent or "
                + "retired (gone for good, never silent)."
        ) { family in
            for node in nodes {
                let mode = snapshot.mode(of: node)
                for each in FleetSnapshot.NodeMode.allCases {
                    family.sample(each == mode ? 1 : 0, ["node": node.id, "mode": each.rawValue])
                }
            }
        }
    }

    private static func reconciliation(_ snapshot: FleetSnapshot, into text: inout MetricsText) {
        text.family(
            "venue_reconcile_open_discrepancies", .gauge,
            "Discrepancies reconciliation found and did not see resolved, by event (or node, for a node's own), "
                + "class, severity and status "
                + "(open, or settling: a refund order sent)."
        ) { family in
            for count in snapshot.discrepancies {
                family.sample(
                    Double(count.count),
                    [
                        "event": count.eventID ?? "", "node": count.nodeID ?? "", "class": count.kind,
                        "severity": count.severity, "status": count.status,
                    ])
            }
        }
        let runs = [("full", snapshot.lastFullRun), ("incremental", snapshot.lastIncrementalRun)]
        text.family(
            "venue_reconcile_last_run_timestamp_seconds", .gauge,
            "When the last run over every event finished (full: every sale; incremental: sales since a time)."
        ) { family in
            for (scope, run) in runs {
                if let run { family.sample(Double(run.finishedAt.milliseconds) / 1000, ["scope": scope]) }
            }
        }
        text.family(
            "venue_reconcile_last_run_age_seconds", .gauge,
            "Seconds since the last run over every event finished, by central's clock (+Inf: never)."
        ) { family in
            for (scope, run) in runs { family.sample(snapshot.age(of: run?.finishedAt), ["scope": scope]) }
        }
        text.family("venue_reconcile_last_run_duration_seconds", .gauge, "How long the last run over every event took.")
        { family in
            for (scope, run) in runs { if let run { family.sample(run.seconds, ["scope": scope]) } }
        }
    }
}
