//! A tiny SMPP 3.4 server on loopback for the sms crate's SMPP driver tests.
//
// Usage: node server.mjs [--port N] [--system-id ID] [--password PW] [--throttle N]
//                        [--no-receipts] [--no-receipt-tlv] [--stdin-lifeline]
// (or SMPP_PORT, SMPP_SYSTEM_ID, SMPP_PASSWORD, SMPP_THROTTLE in the environment).
//
// Prints one JSON line per event on stdout: first {"port":N}, then one line per
// bind, per submit_sm part (its short_message decoded here from UCS-2, after the UDH)
// and per receipt sent. Listens on 127.0.0.1 only.

import smpp from 'smpp';

function option(name, envName, fallback) {
  const flag = `--${name}`;
  const i = process.argv.indexOf(flag);
  if (i >= 0 && i + 1 < process.argv.length) return process.argv[i + 1];
  const fromEnv = process.env[envName];
  return fromEnv === undefined ? fallback : fromEnv;
}

const port = Number(option('port', 'SMPP_PORT', '0'));
const systemId = option('system-id', 'SMPP_SYSTEM_ID', 'cloudcourt');
const password = option('password', 'SMPP_PASSWORD', 'secret');
// Answer ESME_RTHROTTLED to the first N submit_sm, to exercise the driver's retry path.
let throttle = Number(option('throttle', 'SMPP_THROTTLE', '0'));
const sendReceipts = !process.argv.includes('--no-receipts');
const receiptTlv = !process.argv.includes('--no-receipt-tlv');

// Keep submit_sm's short_message as raw bytes: the test must see what the driver put on
// the wire, decoded here, not the library's own guess at the encoding.
delete smpp.commands.submit_sm.params.short_message.filter;

function emit(event) {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

/** UCS-2 (UTF-16 big-endian) bytes to a string; surrogate pairs come out as one character. */
function decodeUcs2(bytes) {
  if (bytes.length % 2 !== 0) throw new Error(`odd UCS-2 length ${bytes.length}`);
  let text = '';
  for (let i = 0; i < bytes.length; i += 2) text += String.fromCharCode(bytes.readUInt16BE(i));
  return text;
}

/** Splits a short_message into its user data header (with its length octet) and body. */
function splitUdh(bytes, esmClass) {
  if ((esmClass & 0x40) === 0 || bytes.length === 0) return { udh: null, body: bytes };
  const udhLength = bytes[0] + 1;
  return { udh: [...bytes.subarray(0, udhLength)], body: bytes.subarray(udhLength) };
}

function smppTime(date) {
  const two = (n) => String(n).padStart(2, '0');
  return `${two(date.getUTCFullYear() % 100)}${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}`
    + `${two(date.getUTCHours())}${two(date.getUTCMinutes())}`;
}

let nextId = 0x5f3a0000;

const server = smpp.createServer((session) => {
  let bound = false;

  session.on('error', (error) => emit({ type: 'error', message: String(error) }));

  session.on('bind_transceiver', (pdu) => {
    let status = smpp.ESME_ROK;
    if (pdu.system_id !== systemId) status = smpp.ESME_RINVSYSID;
    else if (pdu.password !== password) status = smpp.ESME_RINVPASWD;
    emit({ type: 'bind_transceiver', system_id: pdu.system_id, interface_version: pdu.interface_version, status });
    if (status !== smpp.ESME_ROK) {
      session.send(pdu.response({ command_status: status }), () => session.close());
      return;
    }
    bound = true;
    session.send(pdu.response({ system_id: 'test-smsc' }));
  });

  session.on('enquire_link', (pdu) => {
    emit({ type: 'enquire_link' });
    session.send(pdu.response());
  });

  session.on('unbind', (pdu) => {
    bound = false;
    session.send(pdu.response(), () => session.close());
  });

  session.on('submit_sm', (pdu) => {
    if (!bound) {
      session.send(pdu.response({ command_status: smpp.ESME_RINVBNDSTS }));
      return;
    }
    if (throttle > 0) {
      throttle -= 1;
      emit({ type: 'throttled', destination: pdu.destination_addr });
      session.send(pdu.response({ command_status: smpp.ESME_RTHROTTLED }));
      return;
    }
    const messageId = (nextId++).toString(16).toUpperCase();
    const raw = Buffer.isBuffer(pdu.short_message) ? pdu.short_message : Buffer.alloc(0);
    let event;
    try {
      const { udh, body } = splitUdh(raw, pdu.esm_class);
      const text = pdu.data_coding === 8 ? decodeUcs2(body) : body.toString('latin1');
      event = { type: 'submit_sm', message_id: messageId, destination: pdu.destination_addr, dest_addr_ton: pdu.dest_addr_ton, dest_addr_npi: pdu.dest_addr_npi, source: pdu.source_addr, esm_class: pdu.esm_class, data_coding: pdu.data_coding, registered_delivery: pdu.registered_delivery, udh, text };
    } catch (error) {
      // Tell the test what was wrong instead of crashing; the submit is refused.
      emit({ type: 'bad_submit_sm', message: String(error), bytes: [...raw] });
      session.send(pdu.response({ command_status: smpp.ESME_RINVMSGLEN }));
      return;
    }
    emit(event);
    session.send(pdu.response({ message_id: messageId }), () => {
      if (!sendReceipts || (pdu.registered_delivery & 0x03) === 0) return;
      const now = smppTime(new Date());
      const receipt = `id:${messageId} sub:001 dlvrd:001 submit date:${now} done date:${now} stat:DELIVRD err:000 text:`;
      const deliver = {
        source_addr: pdu.destination_addr,
        source_addr_ton: pdu.dest_addr_ton,
        source_addr_npi: pdu.dest_addr_npi,
        destination_addr: pdu.source_addr,
        esm_class: 0x04, // MC delivery receipt
        data_coding: 0,
        short_message: Buffer.from(receipt, 'latin1'),
      };
      if (receiptTlv) {
        deliver.receipted_message_id = messageId;
        deliver.message_state = 2; // DELIVERED
      }
      session.deliver_sm(deliver, (resp) => {
        emit({ type: 'deliver_sm_resp', message_id: messageId, status: resp.command_status });
      });
      emit({ type: 'deliver_sm', message_id: messageId, text: receipt });
    });
  });
});

server.on('error', (error) => {
  process.stderr.write(`SMPP test server: ${error}\n`);
  process.exit(1);
});

server.listen(port, '127.0.0.1', () => emit({ port: server.address().port }));

// With --stdin-lifeline, stop when our stdin closes: the test that started us holds its
// other end, so the server goes away even when the test process is killed.
if (process.argv.includes('--stdin-lifeline')) {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}
process.on('SIGTERM', () => process.exit(0));
