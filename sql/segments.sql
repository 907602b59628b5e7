-- segments: sms_segments() says how a text travels as SMS by 3GPP TS 23.038
-- as printed: GSM-7 when every character is in the default alphabet
-- (6.2.1, 0x09 the capital C cedilla) or its extension table (6.2.1.1,
-- two units each, form feed included), else UCS-2 in UTF-16 code units;
-- over 160 / 70 units, parts of 153 / 67 filled in order, a two-unit
-- character never split. Each case says what it expects.
CREATE TABLE segment_case (why text, message text, encoding text, characters int, units int, segments int);
INSERT INTO segment_case VALUES
  ('empty text: one segment, as sending it would be', '', 'GSM-7', 0, 0, 1),
  ('plain ASCII', 'Your code is 4711', 'GSM-7', 17, 17, 1),
  ('default alphabet punctuation and symbols', '@£$¥¤§¡¿!"#%&''()*+,-./:;<=>?_', 'GSM-7', 29, 29, 1),
  ('default alphabet: LF and CR', E'a\nb\rc', 'GSM-7', 5, 5, 1),
  ('default alphabet: Greek capitals', 'ΔΦΓΛΩΠΨΣΘΞ', 'GSM-7', 10, 10, 1),
  ('every accented letter of the default alphabet', 'èéùìòÇØøÅåÆæßÉÄÖÑÜäöñüà', 'GSM-7', 23, 23, 1),
  ('extension: form feed', E'\f', 'GSM-7', 1, 2, 1),
  ('extension: ^', '^', 'GSM-7', 1, 2, 1),
  ('extension: {', '{', 'GSM-7', 1, 2, 1),
  ('extension: }', '}', 'GSM-7', 1, 2, 1),
  ('extension: backslash', E'\\', 'GSM-7', 1, 2, 1),
  ('extension: [', '[', 'GSM-7', 1, 2, 1),
  ('extension: ~', '~', 'GSM-7', 1, 2, 1),
  ('extension: ]', ']', 'GSM-7', 1, 2, 1),
  ('extension: |', '|', 'GSM-7', 1, 2, 1),
  ('extension: euro sign', '€', 'GSM-7', 1, 2, 1),
  ('every extension character together', E'\f^{}\\[~]|€', 'GSM-7', 10, 20, 1),
  ('backtick is in neither table', '`', 'UCS-2', 1, 1, 1),
  ('tab is in neither table', E'\t', 'UCS-2', 1, 1, 1),
  ('Portuguese and Spanish, GSM-7: é', 'café', 'GSM-7', 4, 4, 1),
  ('Portuguese and Spanish, GSM-7: ñ', 'año', 'GSM-7', 3, 3, 1),
  ('Portuguese and Spanish, GSM-7: ü', 'pingüino', 'GSM-7', 8, 8, 1),
  ('Portuguese and Spanish, GSM-7: à', 'à vista', 'GSM-7', 7, 7, 1),
  ('Portuguese and Spanish, GSM-7: capital Ç (0x09 as printed)', 'ÇA', 'GSM-7', 2, 2, 1),
  ('not GSM-7: ã', 'não', 'UCS-2', 3, 3, 1),
  ('not GSM-7: õ', 'põe', 'UCS-2', 3, 3, 1),
  ('not GSM-7: á', 'está', 'UCS-2', 4, 4, 1),
  ('not GSM-7: ê', 'você', 'UCS-2', 4, 4, 1),
  ('not GSM-7: small ç', 'açaí', 'UCS-2', 4, 4, 1),
  ('not GSM-7: í, ó, ú, ¡ with them', '¡Sí, mañana! ó ú', 'UCS-2', 16, 16, 1),
  ('a Portuguese sentence with one non-GSM letter', 'Seu pedido está a caminho', 'UCS-2', 25, 25, 1),
  ('emoji: outside the BMP, two UTF-16 units', '😀', 'UCS-2', 1, 2, 1),
  ('BMP symbol outside GSM: one UCS-2 unit', '✓', 'UCS-2', 1, 1, 1),
  ('160 GSM-7 units: one segment', repeat('a', 160), 'GSM-7', 160, 160, 1),
  ('161 GSM-7 units: two', repeat('a', 161), 'GSM-7', 161, 161, 2),
  ('306 GSM-7 units: two', repeat('a', 306), 'GSM-7', 306, 306, 2),
  ('307 GSM-7 units: three', repeat('a', 307), 'GSM-7', 307, 307, 3),
  ('159 + one extension character = 161 units: two', repeat('a', 159) || '€', 'GSM-7', 160, 161, 2),
  ('158 + one extension character = 160 units: one', repeat('a', 158) || '€', 'GSM-7', 159, 160, 1),
  ('extension character across the 153rd unit moves to part two', repeat('a', 152) || '€' || repeat('a', 152), 'GSM-7', 305, 306, 3),
  ('extension character ending exactly at unit 153 stays', repeat('a', 151) || '€' || repeat('a', 153), 'GSM-7', 305, 306, 2),
  ('153 extension characters: 306 units, 3 parts (76 whole in each of two, then one)', repeat('€', 153), 'GSM-7', 153, 306, 3),
  ('70 UCS-2 units: one segment', repeat('ã', 70), 'UCS-2', 70, 70, 1),
  ('71 UCS-2 units: two', repeat('ã', 71), 'UCS-2', 71, 71, 2),
  ('134 UCS-2 units: two', repeat('ã', 134), 'UCS-2', 134, 134, 2),
  ('135 UCS-2 units: three', repeat('ã', 135), 'UCS-2', 135, 135, 3),
  ('35 emoji = 70 units: one segment', repeat('😀', 35), 'UCS-2', 35, 70, 1),
  ('36 emoji = 72 units: two', repeat('😀', 36), 'UCS-2', 36, 72, 2),
  ('emoji across the 67th unit moves to part two', repeat('ã', 66) || '😀' || repeat('ã', 66), 'UCS-2', 133, 134, 3),
  ('emoji ending exactly at unit 67 stays', repeat('ã', 65) || '😀' || repeat('ã', 67), 'UCS-2', 133, 134, 2),
  ('one emoji makes a GSM-7 text UCS-2', repeat('a', 69) || '😀', 'UCS-2', 70, 71, 2),
  ('an extension character costs one unit in UCS-2', repeat('€', 69) || 'ã', 'UCS-2', 70, 70, 1),
  ('extension character in a UCS-2 text', '€ã', 'UCS-2', 2, 2, 1),
  ('combining accent: a code point of its own, not GSM-7', E'e\u0301', 'UCS-2', 2, 2, 1);

-- every case as expected (no rows: all agree)
SELECT c.why, s.*
  FROM segment_case c, sms_api.sms_segments(c.message) s
 WHERE (s.encoding, s.characters, s.units, s.segments)
       IS DISTINCT FROM (c.encoding, c.characters, c.units, c.segments);
-- and there were cases
SELECT count(*) AS cases FROM segment_case;
-- characters is what length() counts
SELECT count(*) AS disagree FROM segment_case c, sms_api.sms_segments(c.message) s
 WHERE s.characters <> length(c.message);

-- the shape, NULL in, NULL out
SELECT * FROM sms_api.sms_segments('Olá, tudo bem?');
SELECT sms_api.sms_segments(NULL) IS NULL AS null_gives_null;
SELECT (sms_api.sms_segments(NULL)).segments IS NULL AS null_segments;

-- its properties as the contract says
SELECT provolatile, proisstrict, proparallel, prorettype::regtype
  FROM pg_proc WHERE oid = 'sms_api.sms_segments(text)'::regprocedure;
-- not executable by PUBLIC
SELECT has_function_privilege('public', 'sms_api.sms_segments(text)', 'EXECUTE') AS public_may;

DROP TABLE segment_case;
