package io.keel.appliance.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keel.appliance.cli.Converters.Lun;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code keel target ...}: iSCSI targets, their LUNs, allowed initiators and CHAP, and who is logged in. */
@Command(name = "target", description = "iSCSI targets: LUNs, allowed initiators and CHAP; sessions logged in.",
        subcommands = {
            TargetCommands.Create.class,
            TargetCommands.ListTargets.class,
            TargetCommands.Show.class,
            TargetCommands.Sessions.class,
            TargetCommands.Update.class,
            TargetCommands.Delete.class,
            TargetCommands.DiscoveryAuth.class,
        })
final class TargetCommands extends GroupCommand {

    private static final int MIN_SECRET = 12;
    private static final int MAX_SECRET = 16;

    /** What a target is made of, shared by create and update (the API's POST and PUT take the same body). */
    static final class Definition {

        @Option(names = "--alias", paramLabel = "ALIAS", order = 1, description = "a name shown to initiators")
        String alias;

        @Option(names = "--lun", paramLabel = "N=VOLUME[:ro]", order = 2, converter = Converters.LunConverter.class,
                description = "export VOLUME as LUN N (read-only with :ro); repeat for more LUNs")
        List<Lun> luns;

        @Option(names = "--allow-initiator", paramLabel = "IQN", order = 3,
                description = "an initiator allowed to log in; repeat for more")
        List<String> initiators;

        @Option(names = "--any-initiator", order = 3,
                description = "admit every initiator (CHAP still applies) instead of a list")
        boolean anyInitiator;

        @Mixin
        ChapOptions chap;

        /**
         * The request body; {@code storedChap} is the target's CHAP as stored now (a view's
         * {@code chap}; missing for a new target), whose secrets a CHAP user given again keeps.
         */
        ObjectNode body(final String iqn, final ApiCommand command, final JsonNode storedChap) {
            check(command);
            ObjectNode body = ApiClient.object().put("iqn", iqn);
            if (alias != null) {
                body.put("alias", alias);
            }
            ArrayNode lunArray = body.putArray("luns");
            if (luns != null) {
                for (Lun l : luns) {
                    ObjectNode lun = lunArray.addObject().put("lun", l.lun()).put("volume", l.volume());
                    if (l.readOnly()) {
                        lun.put("readOnly", true);
                    }
                }
            }
            ArrayNode initiatorArray = body.putArray("allowedInitiators");
            if (initiators != null) {
                initiators.forEach(initiatorArray::add);
            }
            if (anyInitiator) {
                body.put("anyInitiator", true);
            }
            chap.putInto(body, command, storedChap);
            return body;
        }

        private void check(final ApiCommand command) {
            if (luns != null) {
                Set<Integer> seen = new HashSet<>();
                for (Lun lun : luns) {
                    if (!seen.add(lun.lun())) {
                        throw command.usage("LUN " + lun.lun() + " is given twice");
                    }
                }
            }
        }
    }

    /** CHAP credentials from the command line (secrets only from files or the prompt), for a target or discovery. */
    static final class ChapOptions {

        @Option(names = "--chap-user", paramLabel = "USER", order = 4, description = "require CHAP with this user")
        String chapUser;

        @Option(names = "--chap-secret-file", paramLabel = "FILE", order = 5,
                description = "file holding the CHAP secret (12-16 characters); without it you are asked")
        Path chapSecretFile;

        @Option(names = "--prompt-chap-secret", order = 6,
                description = "update only: ask for a new CHAP secret instead of keeping the stored one")
        boolean promptChapSecret;

        @Option(names = "--mutual-chap-user", paramLabel = "USER", order = 7,
                description = "mutual CHAP: the user the target answers with (needs --chap-user)")
        String mutualUser;

        @Option(names = "--mutual-chap-secret-file", paramLabel = "FILE", order = 8,
                description = "file holding the mutual CHAP secret (12-16 characters); without it you are asked")
        Path mutualSecretFile;

        @Option(names = "--prompt-mutual-chap-secret", order = 9,
                description = "update only: ask for a new mutual CHAP secret instead of keeping the stored one")
        boolean promptMutualSecret;

        /** Whether a CHAP user was given. */
        boolean given() {
            return chapUser != null;
        }

        /**
         * Puts {@code "chap"} into {@code body}: null without a CHAP user, else the user and the
         * secrets. A secret without a source (file or prompt) is sent only for a user other than
         * {@code stored}'s (a view's {@code chap}, missing when none): then it is asked for; for the
         * stored user none is sent, which the API reads as "keep the stored secret".
         */
        void putInto(final ObjectNode body, final ApiCommand command, final JsonNode stored) {
            check(command);
            boolean keepSecret = chapUser != null && chapUser.equals(stored.path("username").asText(null));
            boolean keepMutual = mutualUser != null && mutualUser.equals(stored.path("mutualUsername").asText(null));
            if (chapUser == null) {
                body.putNull("chap");
                return;
            }
            CliEnvironment env = command.environment();
            ObjectNode chap = body.putObject("chap").put("username", chapUser);
            String secret = secret(env, command, chapSecretFile, promptChapSecret || !keepSecret,
                    "CHAP secret for " + chapUser, "--chap-secret-file");
            if (secret != null) {
                chap.put("secret", secret);
            }
            if (mutualUser != null) {
                chap.put("mutualUsername", mutualUser);
                String mutual = secret(env, command, mutualSecretFile, promptMutualSecret || !keepMutual,
                        "mutual CHAP secret for " + mutualUser, "--mutual-chap-secret-file");
                if (mutual != null) {
                    chap.put("mutualSecret", mutual);
                }
            }
        }

        /** Whether any CHAP option was given. */
        boolean anyGiven() {
            return chapUser != null || chapSecretFile != null || promptChapSecret || mutualUser != null
                    || mutualSecretFile != null || promptMutualSecret;
        }

        void check(final ApiCommand command) {
            if (chapUser == null && (chapSecretFile != null || promptChapSecret || mutualUser != null)) {
                throw command.usage("CHAP options need --chap-user");
            }
            if (mutualUser == null && (mutualSecretFile != null || promptMutualSecret)) {
                throw command.usage("mutual CHAP secret options need --mutual-chap-user");
            }
            if ((chapSecretFile != null && promptChapSecret) || (mutualSecretFile != null && promptMutualSecret)) {
                throw command.usage("give a secret either from a file or at the prompt, not both");
            }
        }

        private static String secret(final CliEnvironment env, final ApiCommand command, final Path file,
                final boolean ask, final String label, final String option) {
            String secret;
            if (file != null) {
                secret = Secrets.readFile(file, label);
            } else if (ask) {
                secret = Secrets.prompt(env, label, true);
                if (secret == null) {
                    throw command.usage("no terminal to ask for the " + label + ": give " + option
                            + " FILE (secrets are never taken as arguments, which every user sees in ps)");
                }
            } else {
                return null;
            }
            // Checked here so that a typo at the prompt is caught before anything is sent; the message must
            // not contain the secret, only its length.
            if (secret.length() < MIN_SECRET || secret.length() > MAX_SECRET) {
                throw command.usage("the " + label + " must be " + MIN_SECRET + " to " + MAX_SECRET
                        + " characters long, not " + secret.length());
            }
            return secret;
        }
    }

    @Command(name = "create", description = "Create an iSCSI target.")
    static final class Create extends ApiCommand {

        @Parameters(paramLabel = "IQN", description = "the target's name, e.g. iqn.2026-11.io.keel:web")
        String iqn;

        @Mixin
        Definition definition;

        @Override
        void run(final ApiClient api, final Output out) {
            out.result(api.post("/targets", definition.body(iqn, this, MissingNode.getInstance())), Views.TARGET,
                    "created target " + iqn);
        }
    }

    @Command(name = "list", description = "List the iSCSI targets.")
    static final class ListTargets extends ApiCommand {

        @Override
        void run(final ApiClient api, final Output out) {
            out.list(api.get("/targets"), Views.TARGET);
        }
    }

    @Command(name = "show", description = "Show one iSCSI target.")
    static final class Show extends ApiCommand {

        @Parameters(paramLabel = "IQN", description = "the target")
        String iqn;

        @Override
        void run(final ApiClient api, final Output out) {
            out.show(api.get(ApiClient.path("targets", iqn)), Views.TARGET);
        }
    }

    @Command(name = "update", description = {
        "Replace an iSCSI target's definition (the API's PUT): LUNs, initiators, alias and CHAP not given "
                + "are REMOVED, so give the whole target again.",
        "To keep CHAP, give --chap-user (and --mutual-chap-user) again: the stored secrets are kept unless "
                + "you give new ones with --chap-secret-file or --prompt-chap-secret."})
    static final class Update extends ApiCommand {

        @Parameters(paramLabel = "IQN", description = "the target")
        String iqn;

        @Mixin
        Definition definition;

        @Override
        void run(final ApiClient api, final Output out) {
            // A secret not given is kept only for the user the target has now; a new user's is asked for.
            JsonNode stored = definition.chap.given() ? api.get(ApiClient.path("targets", iqn)).path("chap")
                    : MissingNode.getInstance();
            out.result(api.put(ApiClient.path("targets", iqn), definition.body(iqn, this, stored)), Views.TARGET,
                    "updated target " + iqn);
        }
    }

    @Command(name = "sessions", description = "List the initiators logged in to an iSCSI target, on every node "
            + "that is up (as of each node's last heartbeat, about a second old).")
    static final class Sessions extends ApiCommand {

        @Parameters(paramLabel = "IQN", description = "the target")
        String iqn;

        @Override
        void run(final ApiClient api, final Output out) {
            out.list(api.get(ApiClient.path("targets", iqn, "sessions")), Views.SESSION);
        }
    }

    @Command(name = "delete", description = "Delete an iSCSI target (its volumes stay; initiators logged in "
            + "are asked to log out, then disconnected).")
    static final class Delete extends ApiCommand {

        @Parameters(paramLabel = "IQN", description = "the target")
        String iqn;

        @Override
        void run(final ApiClient api, final Output out) {
            out.result(api.delete(ApiClient.path("targets", iqn)), Views.TARGET, "deleted target " + iqn);
        }
    }

    @Command(name = "discovery-auth", description = {
        "Show or set the CHAP credentials discovery sessions (SendTargets) must log in with.",
        "Without options it shows them; --chap-user sets them (the stored secret is kept for the same user "
                + "unless a new one is given; mutual CHAP stays on only with --mutual-chap-user); --off lets "
                + "discovery in without authentication again."})
    static final class DiscoveryAuth extends ApiCommand {

        @Mixin
        ChapOptions chap;

        @Option(names = "--off", description = "discovery sessions need no authentication")
        boolean off;

        @Override
        void run(final ApiClient api, final Output out) {
            if (off && chap.anyGiven()) {
                throw usage("--off takes no CHAP options");
            }
            chap.check(this);
            if (off) {
                out.result(api.delete("/iscsi/discovery-auth"), Views.DISCOVERY_AUTH,
                        "discovery sessions need no authentication");
            } else if (chap.given()) {
                // A secret not given is kept only for the user already stored; a new user's is asked for.
                JsonNode stored = api.get("/iscsi/discovery-auth").path("chap");
                ObjectNode body = ApiClient.object();
                chap.putInto(body, this, stored);
                out.result(api.put("/iscsi/discovery-auth", body), Views.DISCOVERY_AUTH,
                        "discovery sessions log in with CHAP user " + chap.chapUser);
            } else {
                out.show(api.get("/iscsi/discovery-auth"), Views.DISCOVERY_AUTH);
            }
        }
    }
}
