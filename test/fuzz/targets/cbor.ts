/** The CBOR well-formedness and bounds walk in front of cbor-x: arbitrary and structured bytes, typed errors only. */
import fc from 'fast-check';
import { NotationError } from '../../../provider/src/notation/index.js';
import { checkWellFormed, decodeCbor, encodeCbor } from '../../../provider/src/notation/envelope/cbor.js';
import { checkable, mutatedBytes, typedOnly, type FuzzTarget } from '../harness.js';

const typed = (e: unknown): boolean => e instanceof NotationError;
/** Heads that claim huge lengths or deep nesting: the walk must refuse them before cbor-x allocates. */
const hostileHeads = fc.constantFrom(
  Uint8Array.from([0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
  Uint8Array.from([0x5b, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00]),
  Uint8Array.from(new Array(5000).fill(0x81)),
  Uint8Array.from([0xd8, 0x12, ...new Array(300).fill(0xc6), 0x00]),
  Uint8Array.from([0x9f, 0x9f, 0x9f, 0xff]),
);

export const cborTarget: FuzzTarget = {
  name: 'cbor',
  what: 'notation/envelope/cbor: checkWellFormed + decodeCbor on random, mutated and hostile bytes',
  ciRuns: 3000,
  property: () =>
    checkable(fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 512 }),
        mutatedBytes(() => encodeCbor([Uint8Array.from([1, 2, 3]), new Map([[1, -7]]), 'text', [1, [2, [3]]], null, true, 1.5])),
        hostileHeads,
      ),
      (bytes) => {
        typedOnly(typed, () => checkWellFormed(bytes, 'fuzz'));
        typedOnly(typed, () => decodeCbor(bytes, 'fuzz'));
      },
    )),
};
