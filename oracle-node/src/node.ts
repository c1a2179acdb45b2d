/**
 * One oracle node: the chain follower, the booking lifecycle, the co-signer, the probes, the
 * reporter, the attestor and the transaction sender, each in its own loop, sharing one SQLite
 * state file.
 */
import { join } from "node:path";

import { resourceMarketplaceAbi, sLAEnforcementAbi } from "@d-cloudx/sdk/abis";
import { Cosigner } from "./bookings/cosigner.ts";
import { BookingLifecycle } from "./bookings/lifecycle.ts";
import { type ChainContext, connect, describeError } from "./chain.ts";
import type { Config } from "./config.ts";
import { startHttpServer } from "./http/server.ts";
import { type ContentStore, ipfsStore } from "./ipfs.ts";
import { type Logger, createLogger } from "./log.ts";
import { Monitor } from "./measure/monitor.ts";
import { type Metrics, createMetrics } from "./metrics.ts";
import { ProvisionerRegistry, createProvisioners } from "./provisioners/registry.ts";
import type { Provisioner } from "./provisioners/types.ts";
import { Agreement } from "./reporting/agreement.ts";
import { Attestor } from "./reporting/attestations.ts";
import { Relay } from "./reporting/relay.ts";
import { Reporter } from "./reporting/reporter.ts";
import { RegisteredSigners } from "./reporting/signers.ts";
import { countByStage } from "./store/bookings.ts";
import { Database } from "./store/db.ts";
import { TxSender } from "./tx/sender.ts";
import { EventRecorder, scopeOf, syncBookings } from "./watchers/events.ts";
import { ChainFollower } from "./watchers/follower.ts";

export interface NodeOptions {
  /** Cloud adapters (default: `local`). */
  provisioners?: Provisioner[];
  ipfs?: ContentStore;
  logger?: Logger;
}

/** A loop that runs `step` every `intervalMs` (sooner when woken) until stopped; errors are logged. */
class Loop {
  #timer?: NodeJS.Timeout;
  #wake?: () => void;
  #stopped = false;
  readonly done: Promise<void>;
  lastSuccessMs = 0;
  lastError?: string;

  constructor(name: string, intervalMs: number, step: () => Promise<unknown>, log: Logger, metrics: Metrics) {
    this.done = (async () => {
      while (!this.#stopped) {
        try {
          await step();
          this.lastSuccessMs = Date.now();
          this.lastError = undefined;
        } catch (error) {
          this.lastError = describeError(error);
          if (/HTTP request failed|timed out|fetch failed|ECONNREFUSED|socket/i.test(this.lastError)) {
            metrics.rpcErrors.inc({ kind: "request" });
          }
          log.warn({ loop: name, error: this.lastError }, "step failed; retrying");
        }
        if (this.#stopped) break;
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
          this.#timer = setTimeout(resolve, intervalMs);
        });
      }
    })();
  }

  wake(): void {
    clearTimeout(this.#timer);
    this.#wake?.();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.wake();
    await this.done;
  }
}

export class OracleNode {
  readonly config: Config;
  readonly db: Database;
  readonly chain: ChainContext;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly sender: TxSender;
  readonly lifecycle: BookingLifecycle;
  readonly reporter: Reporter;
  readonly monitor: Monitor;
  readonly follower: ChainFollower;
  readonly registry: ProvisionerRegistry;
  readonly cosigner: Cosigner;
  readonly #attestor?: Attestor;
  httpPort = 0;
  #loops: Loop[] = [];
  #http?: Awaited<ReturnType<typeof startHttpServer>>;
  readonly #quorum: { value: number };
  #caughtUp = false;

  private constructor(
    config: Config,
    db: Database,
    chain: ChainContext,
    metrics: Metrics,
    log: Logger,
    parts: {
      sender: TxSender;
      lifecycle: BookingLifecycle;
      reporter: Reporter;
      monitor: Monitor;
      follower: ChainFollower;
      registry: ProvisionerRegistry;
      cosigner: Cosigner;
      attestor?: Attestor;
    },
    quorum: { value: number },
  ) {
    this.#quorum = quorum;
    this.config = config;
    this.db = db;
    this.chain = chain;
    this.metrics = metrics;
    this.log = log;
    this.sender = parts.sender;
    this.lifecycle = parts.lifecycle;
    this.reporter = parts.reporter;
    this.monitor = parts.monitor;
    this.follower = parts.follower;
    this.registry = parts.registry;
    this.cosigner = parts.cosigner;
    this.#attestor = parts.attestor;
  }

  static async start(config: Config, options: NodeOptions = {}): Promise<OracleNode> {
    const log = options.logger ?? createLogger(config.log.level);
    const metrics = createMetrics();
    const chain = await connect(config, metrics);
    const self = chain.account.address.toLowerCase();
    const db = new Database(join(config.dataDir, `oracle-${chain.chainId}-${self}.sqlite`));
    const guard = `${chain.addresses.marketplace}`.toLowerCase();
    const known = db.getMeta("marketplace");
    if (known && known !== guard) {
      db.close();
      throw new Error(
        `${config.dataDir} holds the state of another deployment (marketplace ${known}); use another ORACLE_DATA_DIR`,
      );
    }
    db.setMeta("marketplace", guard);

    const registry = new ProvisionerRegistry(options.provisioners ?? (await createProvisioners(config, chain.chainId)));
    const ipfs = options.ipfs ?? ipfsStore(config.ipfsApiUrl);
    const sender = new TxSender(db, chain, { ...config.tx, confirmations: config.chain.confirmations }, log, metrics);
    const relay = config.reporting.relayDir
      ? new Relay(config.reporting.relayDir, `${chain.chainId}-${chain.addresses.sla.toLowerCase()}`)
      : undefined;
    const agreement = new Agreement(
      self,
      config.reporting.oracles,
      config.reporting.takeoverSeconds * 1000,
      log,
      relay,
    );
    const provisionTimeoutSeconds = await chain.client.readContract({
      address: chain.addresses.marketplace,
      abi: resourceMarketplaceAbi,
      functionName: "provisionTimeout",
    });
    const quorum = { value: 1 };
    const oracleSigners = new RegisteredSigners(chain.client, chain.addresses.sla);
    const registered = (signer: string) => oracleSigners.has(signer);
    const targets = (id: string) => relay?.readTarget(id);
    const lifecycle = new BookingLifecycle({
      db,
      chain,
      sender,
      registry,
      ipfs,
      config,
      log,
      metrics,
      provisionTimeoutSeconds,
      agreement,
      quorum: () => quorum.value,
      registered,
    });
    const cosigner = new Cosigner({
      db,
      chain,
      sender,
      agreement,
      config,
      log,
      quorum: () => quorum.value,
      registered,
      targets,
      provisionTimeoutSeconds,
    });
    const monitor = new Monitor(db, chain.clock, config.probes, log, metrics, targets);
    const startBlock = BigInt(
      Math.min(
        ...[
          chain.deployment.contracts.ResourceMarketplace,
          chain.deployment.contracts.SLAEnforcement,
          chain.deployment.contracts.ResourceVerifier,
        ].map((c) => c.startBlock),
      ),
    );
    const follower = new ChainFollower(
      db,
      chain,
      new EventRecorder(db, scopeOf(config.serve), log),
      { confirmations: config.chain.confirmations, maxBlockRange: config.chain.maxBlockRange, startBlock },
      log,
      metrics,
    );
    const reporter = new Reporter({
      db,
      chain,
      sender,
      agreement,
      registry,
      config,
      log,
      metrics,
      quorum: () => quorum.value,
    });
    const attestor = config.reporting.attestations
      ? new Attestor({
          db,
          chain,
          sender,
          agreement,
          registry,
          ipfs,
          log,
          validitySeconds: config.reporting.attestationValiditySeconds,
        })
      : undefined;
    const node = new OracleNode(
      config,
      db,
      chain,
      metrics,
      log,
      { sender, lifecycle, reporter, monitor, follower, registry, cosigner, attestor },
      quorum,
    );
    await node.#checkRoles();
    node.#startLoops(relay);
    const http = await startHttpServer(config.http.host, config.http.port, metrics.registry, () => node.health());
    node.#http = http;
    node.httpPort = http.port;
    log.info(
      {
        account: chain.account.address,
        chainId: chain.chainId,
        http: `http://${config.http.host}:${http.port}`,
        dataDir: config.dataDir,
      },
      "oracle node started",
    );
    return node;
  }

  async #checkRoles(): Promise<void> {
    const { client, addresses, account } = this.chain;
    const [isSigner, quorum] = await Promise.all([
      client.readContract({
        address: addresses.sla,
        abi: sLAEnforcementAbi,
        functionName: "isSigner",
        args: [account.address],
      }),
      client.readContract({ address: addresses.sla, abi: sLAEnforcementAbi, functionName: "quorum" }),
    ]);
    this.#quorum.value = quorum;
    if (!isSigner)
      this.log.warn(
        { account: account.address },
        "this account is not a registered SLA signer: its reports will be refused",
      );
  }

  #startLoops(relay: Relay | undefined): void {
    const { config, log, metrics } = this;
    const senderLoop = new Loop("tx", config.tx.receiptPollMs, () => this.sender.tick(), log, metrics);
    const followLoop = new Loop(
      "follow",
      config.chain.pollIntervalMs,
      async () => {
        for (let step = 0; step < 100; step++) {
          const { block, caughtUp } = await this.follower.poll((ancestor) => {
            this.sender.rewind(ancestor);
            this.reporter.rewind();
          });
          await syncBookings(this.db, this.chain, block);
          if (caughtUp) break;
        }
        this.#caughtUp = true;
        this.lifecycle.tick();
        if (relay) this.#publishTargets(relay);
        for (const [stage, n] of Object.entries(countByStage(this.db))) metrics.bookingsWatched.set({ stage }, n);
      },
      log,
      metrics,
    );
    this.sender.onQueued = () => senderLoop.wake();
    this.#loops = [
      followLoop,
      senderLoop,
      new Loop("cosign", 1_000, () => this.cosigner.tick(), log, metrics),
      new Loop("probe", config.probes.intervalMs, () => this.monitor.round(), log, metrics),
      new Loop("report", 1_000, () => this.reporter.tick(), log, metrics),
      new Loop("status", 15_000, () => this.#refreshStatus(), log, metrics),
    ];
    if (this.#attestor) this.#loops.push(new Loop("attest", 5_000, () => this.#attestor!.tick(), log, metrics));
  }

  /** Where to probe the bookings this node provisioned, for the other oracles (from confirmation on). */
  #publishTargets(relay: Relay): void {
    const rows = this.db.all<{ id: string; probe: string }>(
      "SELECT id, probe FROM bookings WHERE stage IN ('confirming', 'active') AND probe IS NOT NULL",
    );
    for (const row of rows) if (!relay.readTarget(row.id)) relay.writeTarget(row.id, JSON.parse(row.probe));
  }

  async #refreshStatus(): Promise<void> {
    await this.sender.updateBalance();
    await this.#checkRoles();
    // Samples of periods that can no longer be reported are not needed.
    const horizonMs =
      (this.chain.clock.nowSeconds() -
        this.chain.deployment.settings.reportWindowSeconds -
        this.chain.deployment.settings.slaPeriodSeconds) *
      1000;
    this.db.run("DELETE FROM samples WHERE at_ms < ?", horizonMs);
  }

  health() {
    const follow = this.#loops[0];
    const fresh =
      follow !== undefined &&
      Date.now() - follow.lastSuccessMs < Math.max(30_000, 3 * this.config.chain.pollIntervalMs);
    return {
      ok: fresh && this.#caughtUp,
      account: this.chain.account.address,
      cursor: this.follower.cursor().number.toString(),
      caughtUp: this.#caughtUp,
      lastError: follow?.lastError,
      bookings: countByStage(this.db),
      pendingTransactions: this.db.get<{ n: number }>(
        "SELECT COUNT(*) AS n FROM txs WHERE state IN ('queued', 'sent')",
      )!.n,
    };
  }

  async stop(): Promise<void> {
    await Promise.all(this.#loops.map((loop) => loop.stop()));
    await this.lifecycle.idle();
    await new Promise((resolve) => this.#http?.server.close(resolve));
    this.db.close();
    this.log.info("oracle node stopped");
  }
}
