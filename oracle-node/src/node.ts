/**
 * One oracle node: the chain follower, the booking lifecycle, the renewer, the probes, the reporter,
 * the attestor and the transaction sender, each in its own loop, sharing one SQLite state file.
 */
import { join } from "node:path";

import { bookingRenewalsAbi, escrowManagerAbi, resourceMarketplaceAbi, sLAEnforcementAbi } from "@d-cloudx/sdk/abis";
import { ProvisioningConfirmation } from "./bookings/confirmation.ts";
import { Cosigner } from "./bookings/cosigner.ts";
import { BookingLifecycle } from "./bookings/lifecycle.ts";
import { Renewer } from "./bookings/renewals.ts";
import { type ChainContext, connect, describeError } from "./chain.ts";
import type { Config } from "./config.ts";
import { startHttpServer } from "./http/server.ts";
import { type ContentStore, ipfsStore } from "./ipfs.ts";
import { type Logger, createLogger } from "./log.ts";
import { Monitor } from "./measure/monitor.ts";
import { StorageUsageMonitor } from "./measure/usage.ts";
import { type Metrics, createMetrics } from "./metrics.ts";
import { ProvisionerRegistry, createProvisioners } from "./provisioners/registry.ts";
import type { ProbeTarget, Provisioner } from "./provisioners/types.ts";
import type { TargetItem } from "./network/messages.ts";
import { OracleNetwork } from "./network/network.ts";
import { Agreement } from "./reporting/agreement.ts";
import { StatementBoard } from "./reporting/board.ts";
import { Attestor } from "./reporting/attestations.ts";
import { Reporter } from "./reporting/reporter.ts";
import type { Booking } from "./store/bookings.ts";
import { Store } from "./store/index.ts";
import { classifyRpcError } from "./tx/rpc-errors.ts";
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
          if (classifyRpcError(error) === "unreachable") metrics.rpcErrors.inc({ kind: "request" });
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
  readonly store: Store;
  readonly chain: ChainContext;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly sender: TxSender;
  readonly lifecycle: BookingLifecycle;
  readonly renewer: Renewer;
  readonly cosigner: Cosigner;
  readonly reporter: Reporter;
  readonly monitor: Monitor;
  readonly follower: ChainFollower;
  readonly registry: ProvisionerRegistry;
  readonly storageUsage: StorageUsageMonitor;
  readonly network: OracleNetwork;
  readonly board: StatementBoard;
  readonly #attestor?: Attestor;
  #registered?: boolean;
  httpPort = 0;
  #loops: Loop[] = [];
  #http?: Awaited<ReturnType<typeof startHttpServer>>;
  readonly #quorum: { value: number };
  readonly #settings: ChainSettings;
  #caughtUp = false;

  private constructor(
    config: Config,
    store: Store,
    chain: ChainContext,
    metrics: Metrics,
    log: Logger,
    parts: {
      sender: TxSender;
      lifecycle: BookingLifecycle;
      renewer: Renewer;
      cosigner: Cosigner;
      reporter: Reporter;
      monitor: Monitor;
      follower: ChainFollower;
      registry: ProvisionerRegistry;
      network: OracleNetwork;
      board: StatementBoard;
      attestor?: Attestor;
    },
    quorum: { value: number },
    settings: ChainSettings,
  ) {
    this.#quorum = quorum;
    this.#settings = settings;
    this.config = config;
    this.store = store;
    this.chain = chain;
    this.metrics = metrics;
    this.log = log;
    this.sender = parts.sender;
    this.lifecycle = parts.lifecycle;
    this.renewer = parts.renewer;
    this.cosigner = parts.cosigner;
    this.reporter = parts.reporter;
    this.monitor = parts.monitor;
    this.follower = parts.follower;
    this.registry = parts.registry;
    this.storageUsage = new StorageUsageMonitor(store, parts.registry, log, metrics);
    this.network = parts.network;
    this.board = parts.board;
    this.#attestor = parts.attestor;
  }

  static async start(config: Config, options: NodeOptions = {}): Promise<OracleNode> {
    const log = options.logger ?? createLogger(config.log.level);
    const metrics = createMetrics();
    const chain = await connect(config, metrics);
    const self = chain.account.address.toLowerCase();
    const store = new Store(join(config.dataDir, `oracle-${chain.chainId}-${self}.sqlite`));
    try {
      store.bindDeployment(chain.addresses.marketplace.toLowerCase(), config.dataDir);
    } catch (error) {
      store.close();
      throw error;
    }

    const sender = new TxSender(
      store.txs,
      chain,
      { ...config.tx, confirmations: config.chain.confirmations },
      log,
      metrics,
    );
    // Statements this node signs go out over the network; the reporter and attestor register their kinds below.
    const board = new StatementBoard(
      self,
      store.signatures,
      (item) => network.announce({ kind: "statements", item }),
      () => metrics.statementsSigned.inc(),
    );
    const network = await OracleNetwork.start(config.network, {
      account: chain.account,
      privateKey: config.privateKey.reveal() as `0x${string}`,
      scope: { chainId: chain.chainId, contract: chain.addresses.sla },
      isMember: (address) => store.signers.has(chain.addresses.sla, address),
      handlers: {
        statements: (oracle, items) => board.accept(oracle, items),
        targets: (oracle, items) => {
          store.transaction(() => {
            for (const { bookingId, target } of items) store.targets.record(bookingId, oracle, target);
          });
          return true;
        },
      },
      log,
      metrics,
    });
    try {
      return await OracleNode.#assemble(config, options, { log, metrics, chain, self, store, sender, board, network });
    } catch (error) {
      await network.stop();
      store.close();
      throw error;
    }
  }

  static async #assemble(
    config: Config,
    options: NodeOptions,
    parts: {
      log: Logger;
      metrics: Metrics;
      chain: ChainContext;
      self: string;
      store: Store;
      sender: TxSender;
      board: StatementBoard;
      network: OracleNetwork;
    },
  ): Promise<OracleNode> {
    const { log, metrics, chain, self, store, sender, board, network } = parts;
    const registry = new ProvisionerRegistry(options.provisioners ?? (await createProvisioners(config, chain.chainId)));
    const ipfs = options.ipfs ?? ipfsStore(config.ipfsApiUrl);
    const agreement = new Agreement(
      self,
      () => store.signers.of(chain.addresses.sla),
      config.reporting.takeoverSeconds * 1000,
      board,
      log,
    );
    const provisionTimeoutSeconds = await chain.client.readContract({
      address: chain.addresses.marketplace,
      abi: resourceMarketplaceAbi,
      functionName: "provisionTimeout",
    });
    const quorum = { value: 1 };
    const settings = await readChainSettings(chain);
    const confirmation = new ProvisioningConfirmation(
      store,
      chain,
      sender.outbox,
      board,
      agreement,
      () => quorum.value,
    );
    const lifecycle = new BookingLifecycle({
      store,
      chain,
      outbox: sender.outbox,
      confirmation,
      registry,
      ipfs,
      config,
      log,
      metrics,
      provisionTimeoutSeconds,
      graceSeconds: () => settings.graceSeconds,
    });
    const renewer = new Renewer({
      store,
      chain,
      outbox: sender.outbox,
      agreement,
      config,
      log,
      metrics,
      settings: () => settings,
    });
    const monitor = new Monitor(
      store,
      chain.clock,
      config.probes,
      log,
      metrics,
      // Its own machine, or where the oracle that confirmed it (on chain) said it answers.
      (booking) =>
        booking.probe ?? (booking.provisionedBy ? store.targets.get(booking.id, booking.provisionedBy) : undefined),
      registry.prober(config.probes.timeoutMs),
    );
    const cosigner = new Cosigner({
      store,
      chain,
      outbox: sender.outbox,
      board,
      agreement,
      config,
      log,
      prober: registry.prober(config.probes.timeoutMs),
      quorum: () => quorum.value,
      provisionTimeoutSeconds,
    });
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
      store,
      chain,
      new EventRecorder(store, scopeOf(config.serve), log),
      { confirmations: config.chain.confirmations, maxBlockRange: config.chain.maxBlockRange, startBlock },
      log,
      metrics,
    );
    const reporter = new Reporter({
      store,
      chain,
      outbox: sender.outbox,
      account: chain.account.address,
      agreement,
      registry,
      config,
      log,
      metrics,
      quorum: () => quorum.value,
    });
    const attestor = config.reporting.attestations
      ? new Attestor({
          store,
          chain,
          outbox: sender.outbox,
          agreement,
          registry,
          ipfs,
          log,
          validitySeconds: config.reporting.attestationValiditySeconds,
        })
      : undefined;
    board.register("report", reporter.topicKind());
    board.register("provision", confirmation.topicKind());
    board.register("fault", cosigner.faultTopicKind());
    if (attestor) board.register("attestation", attestor.topicKind());
    const node = new OracleNode(
      config,
      store,
      chain,
      metrics,
      log,
      { sender, lifecycle, renewer, cosigner, reporter, monitor, follower, registry, network, board, attestor },
      quorum,
      settings,
    );
    await node.#checkRoles();
    node.#startLoops();
    const http = await startHttpServer(config.http.host, config.http.port, metrics.registry, () => node.health());
    node.#http = http;
    node.httpPort = http.port;
    log.info(
      {
        account: chain.account.address,
        chainId: chain.chainId,
        http: `http://${config.http.host}:${http.port}`,
        dataDir: config.dataDir,
        p2p: network.addresses(),
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
    if (isSigner === this.#registered) return;
    this.#registered = isSigner;
    if (isSigner) {
      this.log.info({ account: account.address }, "this account is a registered SLA signer: signing and publishing");
    } else {
      this.log.error(
        { account: account.address, slaEnforcement: addresses.sla },
        "this account is not a registered SLA signer: the contracts and the other oracles refuse its signatures, so " +
          "it only follows the chain and measures. To join, have the DAO add it: `npm run oracle:signers -- propose " +
          `add ${account.address}\` (docs/oracle-operators.md, "Joining through governance"); it starts signing by ` +
          "itself once the proposal is executed.",
      );
    }
  }

  #startLoops(): void {
    const { config, log, metrics } = this;
    const senderLoop = new Loop("tx", config.tx.receiptPollMs, () => this.sender.tick(), log, metrics);
    const followLoop = new Loop(
      "follow",
      config.chain.pollIntervalMs,
      async () => {
        for (let step = 0; step < 100; step++) {
          const { block, caughtUp } = await this.follower.poll((ancestor) => {
            this.reporter.rewind(this.sender.outbox.rewind(ancestor));
          });
          await syncBookings(this.store, this.chain, block);
          if (caughtUp) break;
        }
        this.#caughtUp = true;
        this.lifecycle.tick();
        for (const [stage, n] of Object.entries(this.store.bookings.countByStage())) {
          metrics.bookingsWatched.set({ stage }, n);
        }
      },
      log,
      metrics,
    );
    this.sender.outbox.onQueued = () => senderLoop.wake();
    this.#loops = [
      followLoop,
      senderLoop,
      new Loop("probe", config.probes.intervalMs, () => this.monitor.round(), log, metrics),
      new Loop("cosign", 1_000, () => this.cosigner.tick(), log, metrics),
      new Loop("renew", 2_000, () => this.renewer.tick(), log, metrics),
      new Loop("report", 1_000, () => this.reporter.tick(), log, metrics),
      new Loop("status", 15_000, () => this.#refreshStatus(), log, metrics),
      new Loop("storage-usage", config.probes.usageIntervalMs, () => this.storageUsage.round(), log, metrics),
    ];
    if (this.#attestor) this.#loops.push(new Loop("attest", 5_000, () => this.#attestor!.tick(), log, metrics));
    let announced = new Set<string>();
    let lastReannounceMs = Date.now();
    this.#loops.push(
      new Loop(
        "announce",
        1_000,
        async () => {
          const everything = Date.now() - lastReannounceMs >= config.network.reannounceSeconds * 1000;
          if (everything) {
            lastReannounceMs = Date.now();
            announced = new Set();
            this.board.reannounce(this.store.signatures.since(Date.now() - this.#statementHorizonMs()));
            this.board.prune();
          }
          announced = this.#announceTargets(announced);
          await this.network.flush();
        },
        log,
        metrics,
      ),
    );
  }

  /** How long a statement may stay open: a report period and its window. */
  #statementHorizonMs(): number {
    const { settings } = this.chain.deployment;
    return (settings.reportWindowSeconds + settings.slaPeriodSeconds) * 1000;
  }

  /**
   * Tells the other oracles where to probe the machines this node provisioned (those not in
   * `announced` yet), from the confirmation on: they co-sign it only after reaching the machine.
   */
  #announceTargets(announced: Set<string>): Set<string> {
    const now = new Set<string>();
    for (const booking of this.store.bookings.inStages(["confirming", "active"])) {
      if (!booking.probe || (booking.stage === "active" && this.#ended(booking))) continue;
      now.add(booking.id);
      if (!announced.has(booking.id)) {
        this.network.announce({ kind: "targets", item: { bookingId: booking.id, target: shared(booking.probe) } });
      }
    }
    return now;
  }

  #ended(booking: Booking): boolean {
    return booking.endsAt !== null && booking.endsAt <= this.chain.clock.nowSeconds();
  }

  async #refreshStatus(): Promise<void> {
    await this.sender.updateBalance();
    await this.#checkRoles();
    Object.assign(this.#settings, await readChainSettings(this.chain));
    // Samples of periods that can no longer be reported are not needed.
    const horizonMs =
      (this.chain.clock.nowSeconds() -
        this.chain.deployment.settings.reportWindowSeconds -
        this.chain.deployment.settings.slaPeriodSeconds) *
      1000;
    this.store.samples.pruneBefore(horizonMs);
    this.store.signatures.pruneBefore(Date.now() - 2 * this.#statementHorizonMs());
    this.store.targets.pruneBefore(Date.now() - 7 * 86_400_000);
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
      registeredSigner: this.#registered,
      peers: this.network.peers().length,
      lastError: follow?.lastError,
      bookings: this.store.bookings.countByStage(),
      pendingTransactions: this.sender.outbox.pendingCount(),
    };
  }

  async stop(): Promise<void> {
    await Promise.all(this.#loops.map((loop) => loop.stop()));
    await this.lifecycle.idle();
    await this.network.stop();
    await new Promise((resolve) => this.#http?.server.close(resolve));
    this.store.close();
    this.log.info("oracle node stopped");
  }
}

/** DAO settings the node acts on, read from the chain at start and with every status refresh. */
interface ChainSettings {
  /** The escrow's grace period: how long a booking's machine stays suspended after an unextended end. */
  graceSeconds: number;
  /** How long before a booking's end `renew` may be called (BookingRenewals). */
  renewalWindowSeconds: number;
}

async function readChainSettings({ client, addresses }: ChainContext): Promise<ChainSettings> {
  const [graceSeconds, renewalWindowSeconds] = await Promise.all([
    client.readContract({ address: addresses.escrow, abi: escrowManagerAbi, functionName: "gracePeriod" }),
    client.readContract({ address: addresses.renewals, abi: bookingRenewalsAbi, functionName: "renewalWindow" }),
  ]);
  return { graceSeconds, renewalWindowSeconds };
}

/**
 * What other oracles may probe: the target itself, or for object storage (probed here with this
 * node's own credential, which is not shared) the service endpoint, reached over TCP.
 */
function shared(target: ProbeTarget): TargetItem["target"] {
  if (target.kind !== "object-storage") return target;
  const url = new URL(target.endpoint);
  const port = url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
  return { kind: "tcp", host: url.hostname, port };
}
