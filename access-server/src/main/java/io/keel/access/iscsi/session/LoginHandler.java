package io.keel.access.iscsi.session;

import io.keel.access.iscsi.ChapSecrets;
import io.keel.access.iscsi.TargetEntry;
import io.keel.access.iscsi.login.ChapAuthenticator;
import io.keel.access.iscsi.login.LoginException;
import io.keel.access.iscsi.login.LoginStatus;
import io.keel.access.iscsi.login.OperationalNegotiator;
import io.keel.access.iscsi.login.TextKeys;
import io.keel.access.iscsi.pdu.Opcode;
import io.keel.access.iscsi.pdu.Pdu;
import io.keel.access.iscsi.pdu.PduException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The login phase of one connection (RFC 7143 §6): stage transitions, text keys across PDUs,
 * target lookup and ACL, AuthMethod and CHAP, operational negotiation, and at the end the
 * session: a new one with a fresh TSIH, reinstating any session with the same identity.
 */
final class LoginHandler {

    private static final Logger LOG = LoggerFactory.getLogger(LoginHandler.class);
    private static final int SECURITY = 0;
    private static final int OPERATIONAL = 1;
    private static final int FULL_FEATURE = 3;
    private static final int MAX_TEXT = 65536;

    private final Connection connection;
    private final OperationalNegotiator negotiator;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private boolean started;
    private int stage;
    private byte[] isidBytes;
    private String isid = "?";
    private int tsih;
    private int itt;
    private int cid;
    private int cmdSn;
    private String initiatorName;
    private String targetName;
    private boolean discovery;
    private TargetEntry target;
    private String authMethod;
    private ChapAuthenticator chap;
    /** For a discovery login: the secrets discovery sessions need, read at its first PDU (null: none). */
    private ChapSecrets discoveryChap;
    private boolean declaredTpgt;
    private boolean declaredRecvLength;

    LoginHandler(final Connection connection) {
        this.connection = connection;
        this.negotiator = new OperationalNegotiator(connection.context.config(), connection.params);
    }

    String describe() {
        return "initiator=" + initiatorName + " isid=" + isid + " target=" + targetName;
    }

    void handle(final Pdu pdu) throws PduException, IOException {
        if (pdu.opcode() != Opcode.LOGIN_REQUEST) {
            throw PduException.fatal(Opcode.name(pdu.opcode()) + " during login");
        }
        try {
            step(pdu);
        } catch (LoginException e) {
            fail(e.status(), e.getMessage());
        }
    }

    private void step(final Pdu pdu) throws LoginException, IOException, PduException {
        int flags = pdu.flags();
        boolean transit = (flags & 0x80) != 0;
        boolean cont = (flags & 0x40) != 0;
        int csg = (flags >>> 2) & 3;
        int nsg = flags & 3;
        checkHeader(pdu, csg);
        if (transit && cont) {
            throw new LoginException(LoginStatus.INITIATOR_ERROR, "T and C both set");
        }
        if (transit && (nsg <= csg || nsg == 2)) {
            throw new LoginException(LoginStatus.INITIATOR_ERROR, "invalid stage transition " + csg + "->" + nsg);
        }
        pending.writeBytes(pdu.data());
        if (pending.size() > MAX_TEXT) {
            throw new LoginException(LoginStatus.INITIATOR_ERROR, "login text too long");
        }
        if (cont) {
            reply(false, csg, 0, List.of(), LoginStatus.SUCCESS);
            return;
        }
        List<Map.Entry<String, String>> keys = TextKeys.parse(pending.toByteArray());
        pending.reset();
        List<Map.Entry<String, String>> answer = new ArrayList<>();
        boolean first = !started;
        started = true;
        identify(keys, first, answer);
        Map<String, String> chapKeys = new java.util.HashMap<>();
        for (Map.Entry<String, String> key : keys) {
            answerKey(key.getKey(), key.getValue(), csg, chapKeys, answer);
        }
        if (chapKeys.containsKey("CHAP_R") || chapKeys.containsKey("CHAP_N")) {
            answer.addAll(chap().onResponse(chapKeys.get("CHAP_N"), chapKeys.get("CHAP_R"),
                    chapKeys.get("CHAP_I"), chapKeys.get("CHAP_C")));
        } else if (chapKeys.containsKey("CHAP_I") || chapKeys.containsKey("CHAP_C")) {
            throw new LoginException(LoginStatus.INITIATOR_ERROR, "CHAP_I/CHAP_C without CHAP_R");
        }
        boolean go = transit && mayLeave(csg);
        int next = go ? nsg : 0;
        if (csg == OPERATIONAL || next == FULL_FEATURE) {
            if (!declaredRecvLength) {
                declaredRecvLength = true;
                answer.add(Map.entry("MaxRecvDataSegmentLength", negotiator.declareRecvLength()));
            }
        }
        if (go && next == FULL_FEATURE) {
            finish(answer, csg);
        } else {
            stage = go ? next : csg;
            reply(go, csg, next, answer, LoginStatus.SUCCESS);
        }
    }

    private void checkHeader(final Pdu pdu, final int csg) throws LoginException {
        int versionMax = pdu.byteAt(2);
        int versionMin = pdu.byteAt(3);
        if (versionMin > 0 || versionMax < versionMin) {
            throw new LoginException(LoginStatus.UNSUPPORTED_VERSION, "version range " + versionMin + "-"
                    + versionMax);
        }
        byte[] newIsid = pdu.bhsRange(8, 14);
        if (!started) {
            isidBytes = newIsid;
            isid = HexFormat.of().formatHex(newIsid);
            tsih = pdu.int16(14);
            itt = pdu.itt();
            cid = pdu.int16(20);
            cmdSn = pdu.int32(24);
            stage = csg;
            if (csg != SECURITY && csg != OPERATIONAL) {
                throw new LoginException(LoginStatus.INITIATOR_ERROR, "invalid current stage " + csg);
            }
            return;
        }
        if (!java.util.Arrays.equals(newIsid, isidBytes) || pdu.int16(14) != tsih || pdu.int16(20) != cid) {
            throw new LoginException(LoginStatus.INITIATOR_ERROR, "ISID, TSIH or CID changed during login");
        }
        if (csg != stage) {
            throw new LoginException(LoginStatus.INITIATOR_ERROR, "stage " + csg + " but expected " + stage);
        }
        itt = pdu.itt();
    }

    private void identify(final List<Map.Entry<String, String>> keys, final boolean first,
            final List<Map.Entry<String, String>> answer) throws LoginException {
        String newInitiator = value(keys, "InitiatorName");
        String newTarget = value(keys, "TargetName");
        String sessionType = value(keys, "SessionType");
        if (!first) {
            if (newInitiator != null && !newInitiator.equals(initiatorName)
                    || newTarget != null && !newTarget.equals(targetName)
                    || sessionType != null && discovery != sessionType.equals("Discovery")) {
                throw new LoginException(LoginStatus.INITIATOR_ERROR, "identity keys changed during login");
            }
            return;
        }
        initiatorName = newInitiator;
        targetName = newTarget;
        if (initiatorName == null || initiatorName.isEmpty()) {
            throw new LoginException(LoginStatus.MISSING_PARAMETER, "no InitiatorName");
        }
        if (sessionType != null && !sessionType.equals("Discovery") && !sessionType.equals("Normal")) {
            throw new LoginException(LoginStatus.SESSION_TYPE_NOT_SUPPORTED, "SessionType " + sessionType);
        }
        discovery = "Discovery".equals(sessionType);
        if (discovery) {
            try {
                discoveryChap = connection.context.directory().discoveryChap();
            } catch (RuntimeException e) {
                LOG.warn("discovery login of {}: the target directory failed", initiatorName, e);
                throw new LoginException(LoginStatus.SERVICE_UNAVAILABLE, "discovery authentication cannot be "
                        + "looked up now: " + e.getMessage());
            }
        } else {
            if (targetName == null || targetName.isEmpty()) {
                throw new LoginException(LoginStatus.MISSING_PARAMETER, "no TargetName for a normal session");
            }
            Optional<TargetEntry> found;
            try {
                found = connection.context.directory().find(targetName);
            } catch (RuntimeException e) {
                // The directory could not be read (the meta member is starting or stopping): try again later.
                LOG.warn("login of {} to {}: the target directory failed", initiatorName, targetName, e);
                throw new LoginException(LoginStatus.SERVICE_UNAVAILABLE, "target " + targetName
                        + " cannot be looked up now: " + e.getMessage());
            }
            if (found.isEmpty()) {
                throw new LoginException(LoginStatus.TARGET_NOT_FOUND, "no target " + targetName);
            }
            target = found.get();
            if (!target.admits(initiatorName)) {
                throw new LoginException(LoginStatus.AUTHORIZATION_FAILURE, "initiator not allowed");
            }
            if (!declaredTpgt) {
                declaredTpgt = true;
                answer.add(Map.entry("TargetPortalGroupTag",
                        Integer.toString(connection.context.config().portalGroupTag())));
                if (target.alias() != null) {
                    answer.add(Map.entry("TargetAlias", target.alias()));
                }
            }
        }
    }

    private static String value(final List<Map.Entry<String, String>> keys, final String name) {
        return keys.stream().filter(k -> k.getKey().equals(name)).map(Map.Entry::getValue).findFirst()
                .orElse(null);
    }

    /** The CHAP secrets this login must prove it knows: the discovery ones, or its target's; null: none. */
    private ChapSecrets requiredChap() {
        return discovery ? discoveryChap : target == null ? null : target.chap();
    }

    private boolean chapRequired() {
        return requiredChap() != null;
    }

    private ChapAuthenticator chap() throws LoginException {
        if (chap == null) {
            throw new LoginException(LoginStatus.INITIATOR_ERROR, "CHAP keys without AuthMethod=CHAP");
        }
        return chap;
    }

    private void answerKey(final String key, final String value, final int csg, final Map<String, String> chapKeys,
            final List<Map.Entry<String, String>> answer) throws LoginException {
        switch (key) {
            case "InitiatorName", "TargetName", "SessionType" -> { }
            case "AuthMethod" -> {
                if (csg != SECURITY) {
                    throw new LoginException(LoginStatus.INITIATOR_ERROR, "AuthMethod outside security stage");
                }
                answer.add(Map.entry(key, chooseAuth(value)));
            }
            case "CHAP_A" -> {
                if (csg != SECURITY) {
                    throw new LoginException(LoginStatus.INITIATOR_ERROR, "CHAP outside security stage");
                }
                answer.addAll(chap().onAlgorithms(value));
            }
            case "CHAP_N", "CHAP_R", "CHAP_I", "CHAP_C" -> {
                if (csg != SECURITY) {
                    throw new LoginException(LoginStatus.INITIATOR_ERROR, "CHAP outside security stage");
                }
                chapKeys.put(key, value);
            }
            case "TargetAlias", "TargetAddress", "TargetPortalGroupTag" -> {
                answer.add(Map.entry(key, OperationalNegotiator.REJECT));
            }
            default -> {
                String response = negotiator.respond(key, value);
                if (response != null) {
                    answer.add(Map.entry(key, response));
                }
            }
        }
    }

    private String chooseAuth(final String offered) throws LoginException {
        if (authMethod != null) {
            throw new LoginException(LoginStatus.INITIATOR_ERROR, "AuthMethod negotiated twice");
        }
        List<String> methods = List.of(offered.split(","));
        if (chapRequired()) {
            if (!methods.contains("CHAP")) {
                throw new LoginException(LoginStatus.AUTHENTICATION_FAILURE, "target requires CHAP");
            }
            authMethod = "CHAP";
            chap = new ChapAuthenticator(requiredChap(), connection.context.random());
            return "CHAP";
        }
        if (!methods.contains("None")) {
            throw new LoginException(LoginStatus.AUTHENTICATION_FAILURE, "no acceptable AuthMethod in " + offered);
        }
        authMethod = "None";
        return "None";
    }

    /** Whether the target agrees to leave stage {@code csg}; fails the login when it never could. */
    private boolean mayLeave(final int csg) throws LoginException {
        if (!chapRequired()) {
            return true;
        }
        if (csg == OPERATIONAL && (chap == null || !chap.authenticated())) {
            throw new LoginException(LoginStatus.AUTHENTICATION_FAILURE, "security stage skipped, CHAP required");
        }
        if (csg == SECURITY && authMethod == null) {
            throw new LoginException(LoginStatus.AUTHENTICATION_FAILURE, "no AuthMethod offered, CHAP required");
        }
        return chap != null && chap.authenticated();
    }

    private void finish(final List<Map.Entry<String, String>> answer, final int csg) throws LoginException,
            IOException {
        negotiator.finish();
        PortalContext context = connection.context;
        if (tsih != 0) {
            boolean exists = context.sessions().byTsih(tsih).isPresent();
            throw new LoginException(exists ? LoginStatus.TOO_MANY_CONNECTIONS : LoginStatus.SESSION_DOES_NOT_EXIST,
                    "adding a connection to session " + tsih);
        }
        String key = discovery ? "" : target.iqn();
        context.sessions().byIdentity(initiatorName, isid, key).ifPresent(old -> {
            LOG.info("reinstating session tsih={} of initiator={} isid={} target={}", old.tsih(), initiatorName,
                    isid, key);
            old.end("reinstated by a new login");
        });
        Session session = new Session(context, initiatorName, isid, target, cmdSn, connection);
        int newTsih = context.sessions().register(session);
        if (newTsih == 0) {
            throw new LoginException(LoginStatus.TARGET_ERROR, "no free TSIH");
        }
        tsih = newTsih;
        context.metrics().sessions.inc();
        boolean served = false;
        try {
            reply(true, csg, FULL_FEATURE, answer, LoginStatus.SUCCESS);
            LOG.info("login: initiator={} isid={} target={} type={} auth={} tsih={} from {} ({})", initiatorName,
                    isid, key, discovery ? "Discovery" : "Normal", authMethod == null ? "None" : authMethod, newTsih,
                    connection.peer(), connection.params);
            connection.enterFullFeature(session);
            served = true;
        } finally {
            if (!served) {
                // Registered, but its connection will never serve it: it must not stay in the table (nor in
                // the count the read share divides by). Whatever failed goes on up.
                session.end("the login response could not be sent");
            }
        }
    }

    private void reply(final boolean transit, final int csg, final int nsg,
            final List<Map.Entry<String, String>> answer, final int status) throws IOException {
        int flags = (transit ? 0x80 : 0) | (csg & 3) << 2 | (transit ? nsg & 3 : 0);
        Pdu pdu = Pdu.of(Opcode.LOGIN_RESPONSE).flags(flags).putByte(2, 0).putByte(3, 0).itt(itt)
                .putInt32(28, cmdSn).putInt32(32, cmdSn + connection.context.config().queueDepth() - 1)
                .putByte(36, status >>> 8).putByte(37, status & 0xff).data(TextKeys.encode(answer));
        if (isidBytes != null) {
            System.arraycopy(isidBytes, 0, pdu.bhs(), 8, 6);
        }
        pdu.putInt16(14, status == LoginStatus.SUCCESS && transit && nsg == FULL_FEATURE ? tsih : 0);
        connection.sendLogin(pdu);
    }

    private void fail(final int status, final String why) throws IOException {
        String reason = LoginStatus.name(status);
        connection.context.metrics().loginFailure(reason);
        LOG.warn("login failed ({}): {} from {}: {}", reason, describe(), connection.peer(), why);
        reply(false, stage, 0, List.of(), status);
        connection.close("login failed: " + reason);
    }
}
