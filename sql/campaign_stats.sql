-- Campaign review statistics (src/campaign, docs/campaigns.md "Statistics") on a real randomized e-mail test,
-- Hillstrom's MineThatData challenge (../shared/data/hillstrom-email-campaign, PROVENANCE.md): 64,000 customers,
-- arms 'Mens E-Mail', 'Womens E-Mail' and 'No E-Mail' (control); y = spend, x = history, response = conversion.
-- Reference values: Python (scipy 1.10, statsmodels 0.13, mpmath), recorded below as literals by
--   /usr/bin/python3 test/reference/campaign_reference.py /work/shared/data/hillstrom-email-campaign/hillstrom.csv
-- Python is not needed to run this test.
SET extra_float_digits = 0;
CREATE SCHEMA campaign_stats;
SET search_path = campaign_stats, public;
\getenv rfm_shared RFM_SHARED_DATA
\set hillstrom :rfm_shared '/hillstrom-email-campaign/hillstrom.csv'
CREATE TABLE hillstrom (
  id bigint GENERATED ALWAYS AS IDENTITY, recency integer, history_segment text, history numeric, mens integer,
  womens integer, zip_code text, newbie integer, channel text, segment text, visit integer, conversion integer,
  spend numeric);
COPY hillstrom (recency, history_segment, history, mens, womens, zip_code, newbie, channel, segment, visit,
                conversion, spend) FROM :'hillstrom' WITH (FORMAT csv, HEADER);
-- one cell per arm and dimension level: the whole arm, by newbie, by channel
CREATE TABLE cells AS
  SELECT segment, dim, level, rfm.campaign_cell_agg(spend, history, conversion = 1) AS cell
    FROM hillstrom, LATERAL (VALUES ('all', 'all'), ('newbie', newbie::text), ('channel', channel)) d (dim, level)
   GROUP BY segment, dim, level;

-- 1. the published figures per arm (PROVENANCE.md), exactly as rounded there, from the cells
SELECT segment, (cell).members, round(100.0 * (cell).responders / (cell).members, 3) AS conversion_pct,
       round((cell).sum_y / (cell).members, 5) AS spend_per_customer
  FROM cells WHERE dim = 'all' ORDER BY segment;
SELECT bool_and(ok) AS published_figures_equal FROM (
  SELECT (segment, (cell).members, round(100.0 * (cell).responders / (cell).members, 3), round((cell).sum_y / (cell).members, 5))
         IN (('Mens E-Mail', 21307, 1.253, 1.42262), ('Womens E-Mail', 21387, 0.884, 1.07720), ('No E-Mail', 21306, 0.573, 0.65279)) AS ok
    FROM cells WHERE dim = 'all') s;
-- the sums are exact: equal to numeric sums over the rows, squares and products to 8 decimals
SELECT bool_and((cell).sum_y = s.y AND (cell).sum_y2 = s.y2 AND (cell).sum_x = s.x AND (cell).sum_x2 = s.x2
                AND (cell).sum_xy = s.xy AND (cell).members = s.n AND (cell).responders = s.r) AS sums_exact
  FROM cells JOIN (SELECT segment, count(*) n, count(*) FILTER (WHERE conversion = 1) r, sum(spend) y, sum(spend * spend) y2,
                          sum(history) x, sum(history * history) x2, sum(history * spend) xy
                     FROM hillstrom GROUP BY segment) s USING (segment)
 WHERE dim = 'all';
SELECT cell FROM cells WHERE dim = 'all' AND segment = 'No E-Mail';

-- 2. every output of campaign_compare, each e-mail arm against the control: whole campaign, by newbie, by channel
CREATE TABLE reference (arm text, dim text, level text, output text, value double precision);
INSERT INTO reference VALUES
  ('Mens E-Mail', 'all', 'all', 'response_rate', 0.01253109306800582),
  ('Mens E-Mail', 'all', 'all', 'control_response_rate', 0.005726086548390125),
  ('Mens E-Mail', 'all', 'all', 'response_uplift', 0.006805006519615695),
  ('Mens E-Mail', 'all', 'all', 'response_uplift_low', 0.005014344671481533),
  ('Mens E-Mail', 'all', 'all', 'response_uplift_high', 0.008640723396917826),
  ('Mens E-Mail', 'all', 'all', 'response_p', 1.5232235005955427e-13),
  ('Mens E-Mail', 'all', 'all', 'revenue_per_member', 1.422616511005773),
  ('Mens E-Mail', 'all', 'all', 'control_revenue_per_member', 0.6527893551112363),
  ('Mens E-Mail', 'all', 'all', 'revenue_uplift', 0.7698271558945367),
  ('Mens E-Mail', 'all', 'all', 'revenue_uplift_low', 0.4851397325684075),
  ('Mens E-Mail', 'all', 'all', 'revenue_uplift_high', 1.0545145792206658),
  ('Mens E-Mail', 'all', 'all', 'revenue_p', 1.1638149682254859e-07),
  ('Mens E-Mail', 'all', 'all', 'revenue_df', 36671.15797736051),
  ('Mens E-Mail', 'all', 'all', 'cuped_theta', 0.0012228965198242297),
  ('Mens E-Mail', 'all', 'all', 'cuped_revenue_uplift', 0.7674384994278025),
  ('Mens E-Mail', 'all', 'all', 'cuped_revenue_uplift_low', 0.4828128537957849),
  ('Mens E-Mail', 'all', 'all', 'cuped_revenue_uplift_high', 1.05206414505982),
  ('Mens E-Mail', 'all', 'all', 'cuped_revenue_p', 1.2653144672519434e-07),
  ('Mens E-Mail', 'all', 'all', 'relative_revenue_lift', 1.1792887703620059),
  ('Mens E-Mail', 'all', 'all', 'relative_revenue_lift_low', 0.5443057195987827),
  ('Mens E-Mail', 'all', 'all', 'relative_revenue_lift_high', 1.814271821125229),
  ('Mens E-Mail', 'all', 'all', 'incremental_revenue', 16402.707210644894),
  ('Mens E-Mail', 'newbie', '0', 'response_rate', 0.013934657753507202),
  ('Mens E-Mail', 'newbie', '0', 'control_response_rate', 0.007727829610781264),
  ('Mens E-Mail', 'newbie', '0', 'response_uplift', 0.006206828142725938),
  ('Mens E-Mail', 'newbie', '0', 'response_uplift_low', 0.003435669313545485),
  ('Mens E-Mail', 'newbie', '0', 'response_uplift_high', 0.00904533745457752),
  ('Mens E-Mail', 'newbie', '0', 'response_p', 1.2510598620759528e-05),
  ('Mens E-Mail', 'newbie', '0', 'revenue_per_member', 1.5133170134638922),
  ('Mens E-Mail', 'newbie', '0', 'control_revenue_per_member', 0.9353501083780982),
  ('Mens E-Mail', 'newbie', '0', 'revenue_uplift', 0.5779669050857941),
  ('Mens E-Mail', 'newbie', '0', 'revenue_uplift_low', 0.14156727685908743),
  ('Mens E-Mail', 'newbie', '0', 'revenue_uplift_high', 1.0143665333125007),
  ('Mens E-Mail', 'newbie', '0', 'revenue_p', 0.009440424495721876),
  ('Mens E-Mail', 'newbie', '0', 'revenue_df', 19998.066641354133),
  ('Mens E-Mail', 'newbie', '0', 'cuped_theta', 0.002707188309034952),
  ('Mens E-Mail', 'newbie', '0', 'cuped_revenue_uplift', 0.5782336693479887),
  ('Mens E-Mail', 'newbie', '0', 'cuped_revenue_uplift_low', 0.1419424926212377),
  ('Mens E-Mail', 'newbie', '0', 'cuped_revenue_uplift_high', 1.0145248460747398),
  ('Mens E-Mail', 'newbie', '0', 'cuped_revenue_p', 0.009389905697392474),
  ('Mens E-Mail', 'newbie', '0', 'relative_revenue_lift', 0.6179150458302631),
  ('Mens E-Mail', 'newbie', '0', 'relative_revenue_lift_low', 0.02637298977099911),
  ('Mens E-Mail', 'newbie', '0', 'relative_revenue_lift_high', 1.209457101889527),
  ('Mens E-Mail', 'newbie', '0', 'incremental_revenue', 6138.586498916219),
  ('Mens E-Mail', 'newbie', '1', 'response_rate', 0.011136065880591428),
  ('Mens E-Mail', 'newbie', '1', 'control_response_rate', 0.0037400654511453952),
  ('Mens E-Mail', 'newbie', '1', 'response_uplift', 0.007396000429446033),
  ('Mens E-Mail', 'newbie', '1', 'response_uplift_low', 0.005129785018370676),
  ('Mens E-Mail', 'newbie', '1', 'response_uplift_high', 0.00978450075640442),
  ('Mens E-Mail', 'newbie', '1', 'response_p', 3.096637165894219e-10),
  ('Mens E-Mail', 'newbie', '1', 'revenue_per_member', 1.3324677147669848),
  ('Mens E-Mail', 'newbie', '1', 'control_revenue_per_member', 0.37244787283777464),
  ('Mens E-Mail', 'newbie', '1', 'revenue_uplift', 0.9600198419292101),
  ('Mens E-Mail', 'newbie', '1', 'revenue_uplift_low', 0.5937689318257573),
  ('Mens E-Mail', 'newbie', '1', 'revenue_uplift_high', 1.3262707520326629),
  ('Mens E-Mail', 'newbie', '1', 'revenue_p', 2.812421631419614e-07),
  ('Mens E-Mail', 'newbie', '1', 'revenue_df', 15465.364635964543),
  ('Mens E-Mail', 'newbie', '1', 'cuped_theta', 0.0012517479450239201),
  ('Mens E-Mail', 'newbie', '1', 'cuped_revenue_uplift', 0.9548964064042949),
  ('Mens E-Mail', 'newbie', '1', 'cuped_revenue_uplift_low', 0.588807541946792),
  ('Mens E-Mail', 'newbie', '1', 'cuped_revenue_uplift_high', 1.3209852708617977),
  ('Mens E-Mail', 'newbie', '1', 'cuped_revenue_p', 3.2134713497373265e-07),
  ('Mens E-Mail', 'newbie', '1', 'relative_revenue_lift', 2.5775951802720094),
  ('Mens E-Mail', 'newbie', '1', 'relative_revenue_lift_low', 0.8038751608166366),
  ('Mens E-Mail', 'newbie', '1', 'relative_revenue_lift_high', 4.351315199727383),
  ('Mens E-Mail', 'newbie', '1', 'incremental_revenue', 10258.772030855538),
  ('Mens E-Mail', 'channel', 'Multichannel', 'response_rate', 0.017074117190531625),
  ('Mens E-Mail', 'channel', 'Multichannel', 'control_response_rate', 0.006907137375287797),
  ('Mens E-Mail', 'channel', 'Multichannel', 'response_uplift', 0.010166979815243827),
  ('Mens E-Mail', 'channel', 'Multichannel', 'response_uplift_low', 0.0042817881956203376),
  ('Mens E-Mail', 'channel', 'Multichannel', 'response_uplift_high', 0.016467098296696434),
  ('Mens E-Mail', 'channel', 'Multichannel', 'response_p', 0.0007618181165847434),
  ('Mens E-Mail', 'channel', 'Multichannel', 'revenue_per_member', 1.824870003880481),
  ('Mens E-Mail', 'channel', 'Multichannel', 'control_revenue_per_member', 0.6157405986185724),
  ('Mens E-Mail', 'channel', 'Multichannel', 'revenue_uplift', 1.2091294052619086),
  ('Mens E-Mail', 'channel', 'Multichannel', 'revenue_uplift_low', 0.39081335681972995),
  ('Mens E-Mail', 'channel', 'Multichannel', 'revenue_uplift_high', 2.0274454537040874),
  ('Mens E-Mail', 'channel', 'Multichannel', 'revenue_p', 0.0037895856589336644),
  ('Mens E-Mail', 'channel', 'Multichannel', 'revenue_df', 3901.6953344585554),
  ('Mens E-Mail', 'channel', 'Multichannel', 'cuped_theta', 0.00018153677008673206),
  ('Mens E-Mail', 'channel', 'Multichannel', 'cuped_revenue_uplift', 1.20690015378585),
  ('Mens E-Mail', 'channel', 'Multichannel', 'cuped_revenue_uplift_low', 0.3885870070969869),
  ('Mens E-Mail', 'channel', 'Multichannel', 'cuped_revenue_uplift_high', 2.025213300474713),
  ('Mens E-Mail', 'channel', 'Multichannel', 'cuped_revenue_p', 0.0038543332070245587),
  ('Mens E-Mail', 'channel', 'Multichannel', 'relative_revenue_lift', 1.9636993369847904),
  ('Mens E-Mail', 'channel', 'Multichannel', 'relative_revenue_lift_low', -0.2133562885259752),
  ('Mens E-Mail', 'channel', 'Multichannel', 'relative_revenue_lift_high', 4.140754962495556),
  ('Mens E-Mail', 'channel', 'Multichannel', 'incremental_revenue', 3115.9264773599384),
  ('Mens E-Mail', 'channel', 'Phone', 'response_rate', 0.010822510822510822),
  ('Mens E-Mail', 'channel', 'Phone', 'control_response_rate', 0.005360780529645117),
  ('Mens E-Mail', 'channel', 'Phone', 'response_uplift', 0.005461730292865705),
  ('Mens E-Mail', 'channel', 'Phone', 'response_uplift_low', 0.0029010331319913483),
  ('Mens E-Mail', 'channel', 'Phone', 'response_uplift_high', 0.008119176737570219),
  ('Mens E-Mail', 'channel', 'Phone', 'response_p', 3.228188752852337e-05),
  ('Mens E-Mail', 'channel', 'Phone', 'revenue_per_member', 1.2085270562770565),
  ('Mens E-Mail', 'channel', 'Phone', 'control_revenue_per_member', 0.6444526643079233),
  ('Mens E-Mail', 'channel', 'Phone', 'revenue_uplift', 0.5640743919691332),
  ('Mens E-Mail', 'channel', 'Phone', 'revenue_uplift_low', 0.16113186952325653),
  ('Mens E-Mail', 'channel', 'Phone', 'revenue_uplift_high', 0.9670169144150099),
  ('Mens E-Mail', 'channel', 'Phone', 'revenue_p', 0.006077313232590328),
  ('Mens E-Mail', 'channel', 'Phone', 'revenue_df', 16918.3205111921),
  ('Mens E-Mail', 'channel', 'Phone', 'cuped_theta', 0.0022176647209510487),
  ('Mens E-Mail', 'channel', 'Phone', 'cuped_revenue_uplift', 0.5553381109297256),
  ('Mens E-Mail', 'channel', 'Phone', 'cuped_revenue_uplift_low', 0.1526474261673822),
  ('Mens E-Mail', 'channel', 'Phone', 'cuped_revenue_uplift_high', 0.958028795692069),
  ('Mens E-Mail', 'channel', 'Phone', 'cuped_revenue_p', 0.006876087675695768),
  ('Mens E-Mail', 'channel', 'Phone', 'relative_revenue_lift', 0.8752766854876639),
  ('Mens E-Mail', 'channel', 'Phone', 'relative_revenue_lift_low', 0.019945370215547764),
  ('Mens E-Mail', 'channel', 'Phone', 'relative_revenue_lift_high', 1.73060800075978),
  ('Mens E-Mail', 'channel', 'Phone', 'incremental_revenue', 5212.047381794791),
  ('Mens E-Mail', 'channel', 'Web', 'response_rate', 0.012961011591148578),
  ('Mens E-Mail', 'channel', 'Web', 'control_response_rate', 0.005761229062199936),
  ('Mens E-Mail', 'channel', 'Web', 'response_uplift', 0.007199782528948642),
  ('Mens E-Mail', 'channel', 'Web', 'response_uplift_low', 0.004477955401560294),
  ('Mens E-Mail', 'channel', 'Web', 'response_uplift_high', 0.010020606687091971),
  ('Mens E-Mail', 'channel', 'Web', 'response_p', 2.9275650865096914e-07),
  ('Mens E-Mail', 'channel', 'Web', 'revenue_per_member', 1.5218345626975764),
  ('Mens E-Mail', 'channel', 'Web', 'control_revenue_per_member', 0.6713858956577403),
  ('Mens E-Mail', 'channel', 'Web', 'revenue_uplift', 0.8504486670398361),
  ('Mens E-Mail', 'channel', 'Web', 'revenue_uplift_low', 0.397156027421855),
  ('Mens E-Mail', 'channel', 'Web', 'revenue_uplift_high', 1.3037413066578172),
  ('Mens E-Mail', 'channel', 'Web', 'revenue_p', 0.0002363217709986948),
  ('Mens E-Mail', 'channel', 'Web', 'revenue_df', 15954.112596462612),
  ('Mens E-Mail', 'channel', 'Web', 'cuped_theta', 0.0010375178541758658),
  ('Mens E-Mail', 'channel', 'Web', 'cuped_revenue_uplift', 0.8523819700144544),
  ('Mens E-Mail', 'channel', 'Web', 'cuped_revenue_uplift_low', 0.39913757302881336),
  ('Mens E-Mail', 'channel', 'Web', 'cuped_revenue_uplift_high', 1.3056263670000954),
  ('Mens E-Mail', 'channel', 'Web', 'cuped_revenue_p', 0.0002283514372214855),
  ('Mens E-Mail', 'channel', 'Web', 'relative_revenue_lift', 1.2667061857274682),
  ('Mens E-Mail', 'channel', 'Web', 'relative_revenue_lift_low', 0.27151936627805284),
  ('Mens E-Mail', 'channel', 'Web', 'relative_revenue_lift_high', 2.2618930051768835),
  ('Mens E-Mail', 'channel', 'Web', 'incremental_revenue', 8070.757850208045),
  ('Womens E-Mail', 'all', 'all', 'response_rate', 0.008837144059475383),
  ('Womens E-Mail', 'all', 'all', 'control_response_rate', 0.005726086548390125),
  ('Womens E-Mail', 'all', 'all', 'response_uplift', 0.003111057511085258),
  ('Womens E-Mail', 'all', 'all', 'response_uplift_low', 0.0015016571318770087),
  ('Womens E-Mail', 'all', 'all', 'response_uplift_high', 0.00474547131367293),
  ('Womens E-Mail', 'all', 'all', 'response_p', 0.00015710512910668448),
  ('Womens E-Mail', 'all', 'all', 'revenue_per_member', 1.0772015710478329),
  ('Womens E-Mail', 'all', 'all', 'control_revenue_per_member', 0.6527893551112363),
  ('Womens E-Mail', 'all', 'all', 'revenue_uplift', 0.4244122159365966),
  ('Womens E-Mail', 'all', 'all', 'revenue_uplift_low', 0.16895678988377866),
  ('Womens E-Mail', 'all', 'all', 'revenue_uplift_high', 0.6798676419894145),
  ('Womens E-Mail', 'all', 'all', 'revenue_p', 0.0011293971023632519),
  ('Womens E-Mail', 'all', 'all', 'revenue_df', 40064.88440653067),
  ('Womens E-Mail', 'all', 'all', 'cuped_theta', 0.001034651293586226),
  ('Womens E-Mail', 'all', 'all', 'cuped_revenue_uplift', 0.42270092315649777),
  ('Womens E-Mail', 'all', 'all', 'cuped_revenue_uplift_low', 0.16729379164008573),
  ('Womens E-Mail', 'all', 'all', 'cuped_revenue_uplift_high', 0.6781080546729098),
  ('Womens E-Mail', 'all', 'all', 'cuped_revenue_p', 0.0011802047342596498),
  ('Womens E-Mail', 'all', 'all', 'relative_revenue_lift', 0.6501518638646859),
  ('Womens E-Mail', 'all', 'all', 'relative_revenue_lift_low', 0.14912759730109282),
  ('Womens E-Mail', 'all', 'all', 'relative_revenue_lift_high', 1.151176130428279),
  ('Womens E-Mail', 'all', 'all', 'incremental_revenue', 9076.904062235992),
  ('Womens E-Mail', 'newbie', '0', 'response_rate', 0.008659638554216868),
  ('Womens E-Mail', 'newbie', '0', 'control_response_rate', 0.007727829610781264),
  ('Womens E-Mail', 'newbie', '0', 'response_uplift', 0.0009318089434356032),
  ('Womens E-Mail', 'newbie', '0', 'response_uplift_low', -0.0015120874793225873),
  ('Womens E-Mail', 'newbie', '0', 'response_uplift_high', 0.0033887317294893676),
  ('Womens E-Mail', 'newbie', '0', 'response_p', 0.4513810410852427),
  ('Womens E-Mail', 'newbie', '0', 'revenue_per_member', 1.0493072289156626),
  ('Womens E-Mail', 'newbie', '0', 'control_revenue_per_member', 0.9353501083780982),
  ('Womens E-Mail', 'newbie', '0', 'revenue_uplift', 0.11395712053756446),
  ('Womens E-Mail', 'newbie', '0', 'revenue_uplift_low', -0.2754905922994947),
  ('Womens E-Mail', 'newbie', '0', 'revenue_uplift_high', 0.5034048333746236),
  ('Womens E-Mail', 'newbie', '0', 'revenue_p', 0.566283855681472),
  ('Womens E-Mail', 'newbie', '0', 'revenue_df', 21166.663353879612),
  ('Womens E-Mail', 'newbie', '0', 'cuped_theta', 6.918430077839976e-06),
  ('Womens E-Mail', 'newbie', '0', 'cuped_revenue_uplift', 0.11394741981027445),
  ('Womens E-Mail', 'newbie', '0', 'cuped_revenue_uplift_low', -0.2755002924341375),
  ('Womens E-Mail', 'newbie', '0', 'cuped_revenue_uplift_high', 0.5033951320546863),
  ('Womens E-Mail', 'newbie', '0', 'cuped_revenue_p', 0.5663169023574793),
  ('Womens E-Mail', 'newbie', '0', 'relative_revenue_lift', 0.12183365299990889),
  ('Womens E-Mail', 'newbie', '0', 'relative_revenue_lift_low', -0.31916268368860823),
  ('Womens E-Mail', 'newbie', '0', 'relative_revenue_lift_high', 0.562829989688426),
  ('Womens E-Mail', 'newbie', '0', 'incremental_revenue', 1210.6804485910848),
  ('Womens E-Mail', 'newbie', '1', 'response_rate', 0.009012357149493635),
  ('Womens E-Mail', 'newbie', '1', 'control_response_rate', 0.0037400654511453952),
  ('Womens E-Mail', 'newbie', '1', 'response_uplift', 0.00527229169834824),
  ('Womens E-Mail', 'newbie', '1', 'response_uplift_low', 0.0031656633696004366),
  ('Womens E-Mail', 'newbie', '1', 'response_uplift_high', 0.007476967679456921),
  ('Womens E-Mail', 'newbie', '1', 'response_p', 1.2454107165078662e-06),
  ('Womens E-Mail', 'newbie', '1', 'revenue_per_member', 1.1047356684939145),
  ('Womens E-Mail', 'newbie', '1', 'control_revenue_per_member', 0.37244787283777464),
  ('Womens E-Mail', 'newbie', '1', 'revenue_uplift', 0.7322877956561398),
  ('Womens E-Mail', 'newbie', '1', 'revenue_uplift_low', 0.40117531349549407),
  ('Womens E-Mail', 'newbie', '1', 'revenue_uplift_high', 1.0634002778167855),
  ('Womens E-Mail', 'newbie', '1', 'revenue_p', 1.466326462205659e-05),
  ('Womens E-Mail', 'newbie', '1', 'revenue_df', 16759.108830237557),
  ('Womens E-Mail', 'newbie', '1', 'cuped_theta', 0.001408756509566288),
  ('Womens E-Mail', 'newbie', '1', 'cuped_revenue_uplift', 0.7300116647028845),
  ('Womens E-Mail', 'newbie', '1', 'cuped_revenue_uplift_low', 0.39912130874572216),
  ('Womens E-Mail', 'newbie', '1', 'cuped_revenue_uplift_high', 1.0609020206600468),
  ('Womens E-Mail', 'newbie', '1', 'cuped_revenue_p', 1.5383592994684533e-05),
  ('Womens E-Mail', 'newbie', '1', 'relative_revenue_lift', 1.9661484171641357),
  ('Womens E-Mail', 'newbie', '1', 'relative_revenue_lift_low', 0.4726678140824525),
  ('Womens E-Mail', 'newbie', '1', 'relative_revenue_lift_high', 3.459629020245819),
  ('Womens E-Mail', 'newbie', '1', 'incremental_revenue', 7881.6135446470325),
  ('Womens E-Mail', 'channel', 'Multichannel', 'response_rate', 0.013958898797983715),
  ('Womens E-Mail', 'channel', 'Multichannel', 'control_response_rate', 0.006907137375287797),
  ('Womens E-Mail', 'channel', 'Multichannel', 'response_uplift', 0.0070517614226959175),
  ('Womens E-Mail', 'channel', 'Multichannel', 'response_uplift_low', 0.0015044026915859874),
  ('Womens E-Mail', 'channel', 'Multichannel', 'response_uplift_high', 0.012930507050521109),
  ('Womens E-Mail', 'channel', 'Multichannel', 'response_p', 0.01238969776393469),
  ('Womens E-Mail', 'channel', 'Multichannel', 'revenue_per_member', 1.7732764637456377),
  ('Womens E-Mail', 'channel', 'Multichannel', 'control_revenue_per_member', 0.6157405986185724),
  ('Womens E-Mail', 'channel', 'Multichannel', 'revenue_uplift', 1.1575358651270653),
  ('Womens E-Mail', 'channel', 'Multichannel', 'revenue_uplift_low', 0.25858427374935367),
  ('Womens E-Mail', 'channel', 'Multichannel', 'revenue_uplift_high', 2.056487456504777),
  ('Womens E-Mail', 'channel', 'Multichannel', 'revenue_p', 0.011625472703167512),
  ('Womens E-Mail', 'channel', 'Multichannel', 'revenue_df', 3655.566927720652),
  ('Womens E-Mail', 'channel', 'Multichannel', 'cuped_theta', 0.0022334764243311825),
  ('Womens E-Mail', 'channel', 'Multichannel', 'cuped_revenue_uplift', 1.1554974564377463),
  ('Womens E-Mail', 'channel', 'Multichannel', 'cuped_revenue_uplift_low', 0.25722987458055424),
  ('Womens E-Mail', 'channel', 'Multichannel', 'cuped_revenue_uplift_high', 2.053765038294938),
  ('Womens E-Mail', 'channel', 'Multichannel', 'cuped_revenue_p', 0.011709140589550132),
  ('Womens E-Mail', 'channel', 'Multichannel', 'relative_revenue_lift', 1.8799083050947467),
  ('Womens E-Mail', 'channel', 'Multichannel', 'relative_revenue_lift_low', -0.3376067327516976),
  ('Womens E-Mail', 'channel', 'Multichannel', 'relative_revenue_lift_high', 4.097423342941191),
  ('Womens E-Mail', 'channel', 'Multichannel', 'incremental_revenue', 2985.284996162701),
  ('Womens E-Mail', 'channel', 'Phone', 'response_rate', 0.00708694732388407),
  ('Womens E-Mail', 'channel', 'Phone', 'control_response_rate', 0.005360780529645117),
  ('Womens E-Mail', 'channel', 'Phone', 'response_uplift', 0.0017261667942389536),
  ('Womens E-Mail', 'channel', 'Phone', 'response_uplift_low', -0.0005418293219573737),
  ('Womens E-Mail', 'channel', 'Phone', 'response_uplift_high', 0.004025929816947849),
  ('Womens E-Mail', 'channel', 'Phone', 'response_p', 0.132779589111393),
  ('Womens E-Mail', 'channel', 'Phone', 'revenue_per_member', 0.8769261688174317),
  ('Womens E-Mail', 'channel', 'Phone', 'control_revenue_per_member', 0.6444526643079233),
  ('Womens E-Mail', 'channel', 'Phone', 'revenue_uplift', 0.23247350450950843),
  ('Womens E-Mail', 'channel', 'Phone', 'revenue_uplift_low', -0.11922279108584927),
  ('Womens E-Mail', 'channel', 'Phone', 'revenue_uplift_high', 0.5841698001048661),
  ('Womens E-Mail', 'channel', 'Phone', 'revenue_p', 0.19511804469875182),
  ('Womens E-Mail', 'channel', 'Phone', 'revenue_df', 18647.543572250688),
  ('Womens E-Mail', 'channel', 'Phone', 'cuped_theta', 0.0013804845325179325),
  ('Womens E-Mail', 'channel', 'Phone', 'cuped_revenue_uplift', 0.22822660567070807),
  ('Womens E-Mail', 'channel', 'Phone', 'cuped_revenue_uplift_low', -0.12336134458173076),
  ('Womens E-Mail', 'channel', 'Phone', 'cuped_revenue_uplift_high', 0.5798145559231469),
  ('Womens E-Mail', 'channel', 'Phone', 'cuped_revenue_p', 0.20326259916527856),
  ('Womens E-Mail', 'channel', 'Phone', 'relative_revenue_lift', 0.3607301472780182),
  ('Womens E-Mail', 'channel', 'Phone', 'relative_revenue_lift_low', -0.2819761078516786),
  ('Womens E-Mail', 'channel', 'Phone', 'relative_revenue_lift_high', 1.003436402407715),
  ('Womens E-Mail', 'channel', 'Phone', 'incremental_revenue', 2197.8045116328926),
  ('Womens E-Mail', 'channel', 'Web', 'response_rate', 0.009193927731451786),
  ('Womens E-Mail', 'channel', 'Web', 'control_response_rate', 0.005761229062199936),
  ('Womens E-Mail', 'channel', 'Web', 'response_uplift', 0.0034326986692518498),
  ('Womens E-Mail', 'channel', 'Web', 'response_uplift_low', 0.0009645871058347869),
  ('Womens E-Mail', 'channel', 'Web', 'response_uplift_high', 0.005963904203734672),
  ('Womens E-Mail', 'channel', 'Web', 'response_p', 0.006396903809730836),
  ('Womens E-Mail', 'channel', 'Web', 'revenue_per_member', 1.0877025871285013),
  ('Womens E-Mail', 'channel', 'Web', 'control_revenue_per_member', 0.6713858956577403),
  ('Womens E-Mail', 'channel', 'Web', 'revenue_uplift', 0.416316691470761),
  ('Womens E-Mail', 'channel', 'Web', 'revenue_uplift_low', 0.024534367161946735),
  ('Womens E-Mail', 'channel', 'Web', 'revenue_uplift_high', 0.8080990157795753),
  ('Womens E-Mail', 'channel', 'Web', 'revenue_p', 0.037279752498983805),
  ('Womens E-Mail', 'channel', 'Web', 'revenue_df', 17688.458772738883),
  ('Womens E-Mail', 'channel', 'Web', 'cuped_theta', 0.00011417119409166864),
  ('Womens E-Mail', 'channel', 'Web', 'cuped_revenue_uplift', 0.4161236001985431),
  ('Womens E-Mail', 'channel', 'Web', 'cuped_revenue_uplift_low', 0.024341940597638723),
  ('Womens E-Mail', 'channel', 'Web', 'cuped_revenue_uplift_high', 0.8079052597994475),
  ('Womens E-Mail', 'channel', 'Web', 'cuped_revenue_p', 0.03736761414500897),
  ('Womens E-Mail', 'channel', 'Web', 'relative_revenue_lift', 0.6200855486588763),
  ('Womens E-Mail', 'channel', 'Web', 'relative_revenue_lift_low', -0.12179335878694453),
  ('Womens E-Mail', 'channel', 'Web', 'relative_revenue_lift_high', 1.361964456104697),
  ('Womens E-Mail', 'channel', 'Web', 'incremental_revenue', 3894.2263320174984)
;
CREATE TABLE got AS
  SELECT t.segment AS arm, t.dim, t.level, kv.key AS output, (kv.value #>> '{}')::double precision AS value
    FROM cells t JOIN cells c ON c.segment = 'No E-Mail' AND c.dim = t.dim AND c.level = t.level,
         jsonb_each(to_jsonb(rfm.campaign_compare(t.cell, c.cell))) kv
   WHERE t.segment <> 'No E-Mail';
-- compared, and how many differ by more than 1e-9 relative (or are NULL on one side only): 0
SELECT count(*) AS compared,
       count(*) FILTER (WHERE r.value IS NULL OR g.value IS NULL
                           OR abs(g.value - r.value) > 1e-9 * abs(r.value)) AS over_1e_9
  FROM reference r FULL JOIN got g USING (arm, dim, level, output);
-- for humans: the whole campaign, to 6 significant digits
SELECT arm, output, to_char(value, '9.99999EEEE') AS value
  FROM got WHERE dim = 'all'
   AND output IN ('response_uplift', 'response_uplift_low', 'response_uplift_high', 'response_p', 'revenue_uplift',
                  'revenue_uplift_low', 'revenue_uplift_high', 'revenue_p', 'revenue_df', 'cuped_theta',
                  'cuped_revenue_uplift', 'cuped_revenue_uplift_low', 'cuped_revenue_uplift_high', 'relative_revenue_lift',
                  'incremental_revenue')
 ORDER BY arm, output;

-- 3. the distributions against 40-digit mpmath values (test/reference/campaign_reference.py; values below 1e-300
-- or beyond 1e300 left out): how many differ by more than 1e-12 relative: 0
CREATE TABLE dist_reference (fn text, a double precision, b double precision, value double precision);
INSERT INTO dist_reference VALUES
  ('normal_cdf', -37.0, NULL, 5.725571222524577e-300),
  ('normal_cdf', -30.0, NULL, 4.906713927148187e-198),
  ('normal_cdf', -20.0, NULL, 2.7536241186062337e-89),
  ('normal_cdf', -10.0, NULL, 7.619853024160525e-24),
  ('normal_cdf', -5.0, NULL, 2.866515718791939e-07),
  ('normal_cdf', -3.0, NULL, 0.0013498980316300946),
  ('normal_cdf', -1.96, NULL, 0.024997895148220435),
  ('normal_cdf', -1.0, NULL, 0.15865525393145705),
  ('normal_cdf', -0.5, NULL, 0.3085375387259869),
  ('normal_cdf', -1e-05, NULL, 0.49999601057719606),
  ('normal_cdf', 0.0, NULL, 0.5),
  ('normal_cdf', 0.3, NULL, 0.6179114221889527),
  ('normal_cdf', 1.0, NULL, 0.8413447460685429),
  ('normal_cdf', 2.0, NULL, 0.9772498680518208),
  ('normal_cdf', 5.0, NULL, 0.9999997133484281),
  ('normal_cdf', 8.0, NULL, 0.9999999999999993),
  ('normal_quantile', 1e-300, NULL, -37.0470962993612),
  ('normal_quantile', 1e-200, NULL, -30.20559417957964),
  ('normal_quantile', 1e-100, NULL, -21.273453560965326),
  ('normal_quantile', 1e-50, NULL, -14.933337534788489),
  ('normal_quantile', 1e-20, NULL, -9.262340089798407),
  ('normal_quantile', 1e-10, NULL, -6.361340902404057),
  ('normal_quantile', 1e-05, NULL, -4.264890793922825),
  ('normal_quantile', 0.001, NULL, -3.0902323061678136),
  ('normal_quantile', 0.025, NULL, -1.9599639845400543),
  ('normal_quantile', 0.1, NULL, -1.2815515655446004),
  ('normal_quantile', 0.3, NULL, -0.5244005127080408),
  ('normal_quantile', 0.4999, NULL, -0.00025066283008800747),
  ('normal_quantile', 0.5, NULL, 0.0),
  ('normal_quantile', 0.6, NULL, 0.2533471031357997),
  ('normal_quantile', 0.975, NULL, 1.9599639845400538),
  ('normal_quantile', 0.999, NULL, 3.090232306167813),
  ('normal_quantile', 0.9999999999, NULL, 6.361340889697422),
  ('student_t_cdf', -100000.0, 0.5, 0.0010141455301389997),
  ('student_t_cdf', -1000.0, 0.5, 0.010141454540857095),
  ('student_t_cdf', -50.0, 0.5, 0.04535260640296638),
  ('student_t_cdf', -12.0, 0.5, 0.09253026053460106),
  ('student_t_cdf', -5.0, 0.5, 0.1429957015794294),
  ('student_t_cdf', -2.0, 0.5, 0.22275744509156561),
  ('student_t_cdf', -1.0, 0.5, 0.3011216108413221),
  ('student_t_cdf', -0.001, 0.5, 0.4997303238342438),
  ('student_t_cdf', 0.5, 0.5, 0.6213409635352817),
  ('student_t_cdf', 3.0, 0.5, 0.8163459220070283),
  ('student_t_quantile', 1e-100, 0.5, -1.02849115631634e+199),
  ('student_t_quantile', 1e-20, 0.5, -1.0284911563163402e+39),
  ('student_t_quantile', 1e-10, 0.5, -1.02849115631634e+19),
  ('student_t_quantile', 1e-05, 0.5, -1028491156.3163399),
  ('student_t_quantile', 0.001, 0.5, -102849.11563017555),
  ('student_t_quantile', 0.025, 0.5, -164.55767348048852),
  ('student_t_quantile', 0.2, 0.5, -2.5127179536659185),
  ('student_t_quantile', 0.3, 0.5, -1.0095258786071661),
  ('student_t_quantile', 0.45, 0.5, -0.18864420884630664),
  ('student_t_quantile', 0.7, 0.5, 1.0095258786071657),
  ('student_t_quantile', 0.975, 0.5, 164.55767348048823),
  ('student_t_quantile', 0.9999, 0.5, 10284911.563165652),
  ('student_t_cdf', -100000.0, 1.0, 3.1830988617318035e-06),
  ('student_t_cdf', -1000.0, 1.0, 0.0003183097800805589),
  ('student_t_cdf', -50.0, 1.0, 0.006365349100972796),
  ('student_t_cdf', -12.0, 1.0, 0.026464676059589874),
  ('student_t_cdf', -5.0, 1.0, 0.06283295818900118),
  ('student_t_cdf', -2.0, 1.0, 0.14758361765043326),
  ('student_t_cdf', -1.0, 1.0, 0.25),
  ('student_t_cdf', -0.001, 1.0, 0.4996816902199194),
  ('student_t_cdf', 0.5, 1.0, 0.6475836176504333),
  ('student_t_cdf', 3.0, 1.0, 0.8975836176504333),
  ('student_t_quantile', 1e-100, 1.0, -3.1830988618379064e+99),
  ('student_t_quantile', 1e-20, 1.0, -3.1830988618379067e+19),
  ('student_t_quantile', 1e-10, 1.0, -3183098861.837907),
  ('student_t_quantile', 1e-05, 1.0, -31830.98860790709),
  ('student_t_quantile', 0.001, 1.0, -318.30883898555044),
  ('student_t_quantile', 0.025, 1.0, -12.706204736174705),
  ('student_t_quantile', 0.2, 1.0, -1.3763819204711734),
  ('student_t_quantile', 0.3, 1.0, -0.7265425280053609),
  ('student_t_quantile', 0.45, 1.0, -0.15838444032453625),
  ('student_t_quantile', 0.7, 1.0, 0.7265425280053607),
  ('student_t_quantile', 0.975, 1.0, 12.706204736174694),
  ('student_t_quantile', 0.9999, 1.0, 3183.0987571185015),
  ('student_t_cdf', -100000.0, 2.5, 2.274751923175622e-13),
  ('student_t_cdf', -1000.0, 2.5, 2.2747463948307453e-08),
  ('student_t_cdf', -50.0, 2.5, 4.0652475424793605e-05),
  ('student_t_cdf', -12.0, 2.5, 0.001418107515039162),
  ('student_t_cdf', -5.0, 2.5, 0.011725594985430923),
  ('student_t_cdf', -2.0, 2.5, 0.078695747878983),
  ('student_t_cdf', -1.0, 2.5, 0.20203051363913674),
  ('student_t_cdf', -0.001, 2.5, 0.49963819136039245),
  ('student_t_cdf', 0.5, 2.5, 0.6711510400651427),
  ('student_t_cdf', 3.0, 2.5, 0.9637119522254841),
  ('student_t_quantile', 1e-100, 2.5, -8.765437882279991e+39),
  ('student_t_quantile', 1e-20, 2.5, -87654378.8227999),
  ('student_t_quantile', 1e-10, 2.5, -8765.437771364572),
  ('student_t_quantile', 1e-05, 2.5, -87.64328685666187),
  ('student_t_quantile', 0.001, 2.5, -13.822193110865964),
  ('student_t_quantile', 0.025, 2.5, -3.574654842003683),
  ('student_t_quantile', 0.2, 2.5, -1.0101638747222386),
  ('student_t_quantile', 0.3, 2.5, -0.5973077382523175),
  ('student_t_quantile', 0.45, 2.5, -0.13881476791946953),
  ('student_t_quantile', 0.7, 2.5, 0.5973077382523173),
  ('student_t_quantile', 0.975, 2.5, 3.5746548420036817),
  ('student_t_quantile', 0.9999, 2.5, 34.86796932111631),
  ('student_t_cdf', -100000.0, 3.0, 1.1026577904466273e-15),
  ('student_t_cdf', -1000.0, 3.0, 1.1026538212882963e-09),
  ('student_t_cdf', -50.0, 3.0, 8.808576020635988e-06),
  ('student_t_cdf', -12.0, 3.0, 0.0006225079003946683),
  ('student_t_cdf', -5.0, 3.0, 0.007696219036651151),
  ('student_t_cdf', -2.0, 3.0, 0.0696629842794216),
  ('student_t_cdf', -1.0, 3.0, 0.19550110947788532),
  ('student_t_cdf', -0.001, 3.0, 0.49963244748473046),
  ('student_t_cdf', 0.5, 3.0, 0.6742760175759245),
  ('student_t_cdf', 3.0, 3.0, 0.9711655571887814),
  ('student_t_quantile', 1e-100, 3.0, -2.225769823822442e+33),
  ('student_t_quantile', 1e-20, 3.0, -4795275.720468973),
  ('student_t_quantile', 1e-10, 3.0, -2225.7692846830932),
  ('student_t_quantile', 1e-05, 3.0, -47.927728375933924),
  ('student_t_quantile', 0.001, 3.0, -10.214531852407386),
  ('student_t_quantile', 0.025, 3.0, -3.1824463052837095),
  ('student_t_quantile', 0.2, 3.0, -0.9784723123633043),
  ('student_t_quantile', 0.3, 3.0, -0.5843897274398187),
  ('student_t_quantile', 0.45, 3.0, -0.13659819935369888),
  ('student_t_quantile', 0.7, 3.0, 0.5843897274398185),
  ('student_t_quantile', 0.975, 3.0, 3.1824463052837086),
  ('student_t_quantile', 0.9999, 3.0, 22.203742273205002),
  ('student_t_cdf', -100000.0, 10.0, 1.2304687443603515e-46),
  ('student_t_cdf', -1000.0, 10.0, 1.2304123550866355e-26),
  ('student_t_cdf', -50.0, 10.0, 1.23715516465134e-13),
  ('student_t_cdf', -12.0, 10.0, 1.4607044123849935e-07),
  ('student_t_cdf', -5.0, 10.0, 0.0002686668013782263),
  ('student_t_cdf', -2.0, 10.0, 0.03669401738537018),
  ('student_t_cdf', -1.0, 10.0, 0.17044656615102993),
  ('student_t_cdf', -0.001, 10.0, 0.4996108916873705),
  ('student_t_cdf', 0.5, 10.0, 0.6860531971285135),
  ('student_t_cdf', 3.0, 10.0, 0.9933281724887152),
  ('student_t_quantile', 1e-100, 10.0, -25645257189.48198),
  ('student_t_quantile', 1e-20, 10.0, -256.4346993185262),
  ('student_t_quantile', 1e-10, 10.0, -25.466008021697725),
  ('student_t_quantile', 1e-05, 10.0, -7.526954019339651),
  ('student_t_quantile', 0.001, 10.0, -4.143700494046589),
  ('student_t_quantile', 0.025, 10.0, -2.228138851986275),
  ('student_t_quantile', 0.2, 10.0, -0.8790578285505887),
  ('student_t_quantile', 0.3, 10.0, -0.5415280387550157),
  ('student_t_quantile', 0.45, 10.0, -0.12889018929327375),
  ('student_t_quantile', 0.7, 10.0, 0.5415280387550155),
  ('student_t_quantile', 0.975, 10.0, 2.2281388519862744),
  ('student_t_quantile', 0.9999, 10.0, 5.693820101457592),
  ('student_t_cdf', -100000.0, 30.0, 1.0364534200733144e-129),
  ('student_t_cdf', -1000.0, 30.0, 1.0360017415558665e-69),
  ('student_t_cdf', -50.0, 30.0, 9.357708829611357e-31),
  ('student_t_cdf', -12.0, 30.0, 2.790092707599628e-13),
  ('student_t_cdf', -5.0, 30.0, 1.1648342733503898e-05),
  ('student_t_cdf', -2.0, 30.0, 0.02731252248149155),
  ('student_t_cdf', -1.0, 30.0, 0.16265430771301495),
  ('student_t_cdf', -0.001, 30.0, 0.49960436788324253),
  ('student_t_cdf', 0.5, 30.0, 0.6896384975574363),
  ('student_t_cdf', 3.0, 30.0, 0.9973050179671741),
  ('student_t_quantile', 1e-100, 30.0, -10810.645001143976),
  ('student_t_quantile', 1e-20, 30.0, -22.658878371940183),
  ('student_t_quantile', 1e-10, 30.0, -9.377489780407144),
  ('student_t_quantile', 1e-05, 30.0, -5.054032421446494),
  ('student_t_quantile', 0.001, 30.0, -3.385184866829305),
  ('student_t_quantile', 0.025, 30.0, -2.042272456301238),
  ('student_t_quantile', 0.2, 30.0, -0.8537672614712976),
  ('student_t_quantile', 0.3, 30.0, -0.5300190039065045),
  ('student_t_quantile', 0.45, 30.0, -0.12672961313207357),
  ('student_t_quantile', 0.7, 30.0, 0.5300190039065044),
  ('student_t_quantile', 0.975, 30.0, 2.0422724563012378),
  ('student_t_quantile', 0.9999, 30.0, 4.23398595727206),
  ('student_t_cdf', -100000.0, 100.0, 0.0),
  ('student_t_cdf', -1000.0, 100.0, 3.959809303973926e-202),
  ('student_t_cdf', -50.0, 100.0, 7.236081839880695e-73),
  ('student_t_cdf', -12.0, 100.0, 2.197543857802189e-21),
  ('student_t_cdf', -5.0, 100.0, 1.2250867067519001e-06),
  ('student_t_cdf', -2.0, 100.0, 0.02410608936556684),
  ('student_t_cdf', -1.0, 100.0, 0.1598620778920617),
  ('student_t_cdf', -0.001, 100.0, 0.4996020538800517),
  ('student_t_cdf', 0.5, 100.0, 0.6909132170845567),
  ('student_t_cdf', 3.0, 100.0, 0.9982960423283352),
  ('student_t_quantile', 1e-100, 100.0, -96.31474307783093),
  ('student_t_quantile', 1e-20, 100.0, -11.694684673177003),
  ('student_t_quantile', 1e-10, 100.0, -7.083375481400722),
  ('student_t_quantile', 1e-05, 100.0, -4.478426902992736),
  ('student_t_quantile', 0.001, 100.0, -3.173739493738783),
  ('student_t_quantile', 0.025, 100.0, -1.9839715185235522),
  ('student_t_quantile', 0.2, 100.0, -0.845230424491016),
  ('student_t_quantile', 0.3, 100.0, -0.5260762706003463),
  ('student_t_quantile', 0.45, 100.0, -0.12598088204153965),
  ('student_t_quantile', 0.7, 100.0, 0.5260762706003461),
  ('student_t_quantile', 0.975, 100.0, 1.9839715185235518),
  ('student_t_quantile', 0.9999, 100.0, 3.8615997909500908),
  ('student_t_cdf', -100000.0, 1000.0, 0.0),
  ('student_t_cdf', -1000.0, 1000.0, 0.0),
  ('student_t_cdf', -50.0, 1000.0, 1.3793362061625824e-274),
  ('student_t_cdf', -12.0, 1000.0, 2.1620286933872636e-31),
  ('student_t_cdf', -5.0, 1000.0, 3.3836281823243153e-07),
  ('student_t_cdf', -2.0, 1000.0, 0.02288517324662582),
  ('student_t_cdf', -1.0, 1000.0, 0.15877620904233616),
  ('student_t_cdf', -0.001, 1000.0, 0.49960115750922635),
  ('student_t_cdf', 0.5, 1000.0, 0.6914074595830626),
  ('student_t_cdf', 3.0, 1000.0, 0.9986166454778809),
  ('student_t_quantile', 1e-100, 1000.0, -23.930617087826445),
  ('student_t_quantile', 1e-20, 1000.0, -9.467044815255925),
  ('student_t_quantile', 1e-10, 1000.0, -6.427876283134213),
  ('student_t_quantile', 1e-05, 1000.0, -4.285437682652958),
  ('student_t_quantile', 0.001, 1000.0, -3.098402163912923),
  ('student_t_quantile', 0.025, 1000.0, -1.9623390808264085),
  ('student_t_quantile', 0.2, 1000.0, -0.8419808221624285),
  ('student_t_quantile', 0.3, 1000.0, -0.524567707309227),
  ('student_t_quantile', 0.45, 1000.0, -0.12569326251871635),
  ('student_t_quantile', 0.7, 1000.0, 0.5245677073092267),
  ('student_t_quantile', 0.975, 1000.0, 1.962339080826408),
  ('student_t_quantile', 0.9999, 1000.0, 3.732851604575396),
  ('student_t_cdf', -100000.0, 21306.7, 0.0),
  ('student_t_cdf', -1000.0, 21306.7, 0.0),
  ('student_t_cdf', -50.0, 21306.7, 0.0),
  ('student_t_cdf', -12.0, 21306.7, 2.270964981988893e-33),
  ('student_t_cdf', -5.0, 21306.7, 2.8892656596081214e-07),
  ('student_t_cdf', -2.0, 21306.7, 0.022756467064592542),
  ('student_t_cdf', -1.0, 21306.7, 0.15866093214266194),
  ('student_t_cdf', -0.001, 21306.7, 0.4996010624670125),
  ('student_t_cdf', 0.5, 21306.7, 0.6914598794660411),
  ('student_t_cdf', 3.0, 21306.7, 0.9986485414695114),
  ('student_t_quantile', 1e-100, 21306.7, -21.387171610658267),
  ('student_t_quantile', 1e-20, 21306.7, -9.271780537642886),
  ('student_t_quantile', 1e-10, 21306.7, -6.364437270323886),
  ('student_t_quantile', 1e-05, 21306.7, -4.265851248764893),
  ('student_t_quantile', 0.001, 21306.7, -3.090614864392893),
  ('student_t_quantile', 0.025, 21306.7, -1.9600753299715818),
  ('student_t_quantile', 0.2, 21306.7, -0.8416381037523397),
  ('student_t_quantile', 0.3, 21306.7, -0.5244083578515726),
  ('student_t_quantile', 0.45, 21306.7, -0.12566284458156807),
  ('student_t_quantile', 0.7, 21306.7, 0.5244083578515724),
  ('student_t_quantile', 0.975, 21306.7, 1.9600753299715816),
  ('student_t_quantile', 0.9999, 21306.7, 3.7196637658079643),
  ('student_t_cdf', -100000.0, 100000.0, 0.0),
  ('student_t_cdf', -1000.0, 100000.0, 0.0),
  ('student_t_cdf', -50.0, 100000.0, 0.0),
  ('student_t_cdf', -12.0, 100000.0, 1.8722529059781755e-33),
  ('student_t_cdf', -5.0, 100000.0, 2.8713508393208365e-07),
  ('student_t_cdf', -2.0, 100000.0, 0.022751481728753232),
  ('student_t_cdf', -1.0, 100000.0, 0.158656463782055),
  ('student_t_cdf', -0.001, 100000.0, 0.4996010587834439),
  ('student_t_cdf', 0.5, 100000.0, 0.691461911172791),
  ('student_t_cdf', 3.0, 100000.0, 0.9986497695579677),
  ('student_t_quantile', 1e-100, 100000.0, -21.29759838971532),
  ('student_t_quantile', 1e-20, 100000.0, -9.264350176279423),
  ('student_t_quantile', 1e-10, 100000.0, -6.3620004198436915),
  ('student_t_quantile', 1e-05, 100000.0, -4.265095403181324),
  ('student_t_quantile', 0.001, 100000.0, -3.0903138094272378),
  ('student_t_quantile', 0.025, 100000.0, -1.9599877075346097),
  ('student_t_quantile', 0.2, 100000.0, -0.8416248279969009),
  ('student_t_quantile', 0.3, 100000.0, -0.5244021842335458),
  ('student_t_quantile', 0.45, 100000.0, -0.1256616659695919),
  ('student_t_quantile', 0.7, 100000.0, 0.5244021842335456),
  ('student_t_quantile', 0.975, 100000.0, 1.9599877075346093),
  ('student_t_quantile', 0.9999, 100000.0, 3.719154382641372),
  ('student_t_cdf', -100000.0, 10000000.0, 0.0),
  ('student_t_cdf', -1000.0, 10000000.0, 0.0),
  ('student_t_cdf', -50.0, 10000000.0, 0.0),
  ('student_t_cdf', -12.0, 10000000.0, 1.7774160254673176e-33),
  ('student_t_cdf', -5.0, 10000000.0, 2.8665640375042696e-07),
  ('student_t_cdf', -2.0, 10000000.0, 0.022750145445921476),
  ('student_t_cdf', -1.0, 10000000.0, 0.15865526602999297),
  ('student_t_cdf', -0.001, 10000000.0, 0.4996010577960625),
  ('student_t_cdf', 0.5, 10000000.0, 0.6914624557729925),
  ('student_t_cdf', 3.0, 10000000.0, 0.9986500986444814),
  ('student_t_quantile', 1e-100, 10000000.0, -21.27369478284828),
  ('student_t_quantile', 1e-20, 10000000.0, -9.262360187016228),
  ('student_t_quantile', 1e-10, 10000000.0, -6.361347496998616),
  ('student_t_quantile', 1e-05, 10000000.0, -4.264892839929718),
  ('student_t_quantile', 0.001, 10000000.0, -3.090233121180912),
  ('student_t_quantile', 0.025, 10000000.0, -1.9599642217672055),
  ('student_t_quantile', 0.2, 10000000.0, -0.8416212695170079),
  ('student_t_quantile', 0.3, 10000000.0, -0.5244005294232538),
  ('student_t_quantile', 0.45, 10000000.0, -0.12566135004621498),
  ('student_t_quantile', 0.7, 10000000.0, 0.5244005294232537),
  ('student_t_quantile', 0.975, 10000000.0, 1.959964221767205),
  ('student_t_quantile', 0.9999, 10000000.0, 3.7190178643822778),
  ('chi_square_cdf', 0.01, 1.0, 0.07965567455405796),
  ('chi_square_cdf', 0.1, 1.0, 0.24817036595415073),
  ('chi_square_cdf', 0.5, 1.0, 0.5204998778130465),
  ('chi_square_cdf', 0.9, 1.0, 0.6572182888520887),
  ('chi_square_cdf', 1.0, 1.0, 0.6826894921370859),
  ('chi_square_cdf', 1.1, 1.0, 0.7057338956950371),
  ('chi_square_cdf', 2.0, 1.0, 0.8427007929497149),
  ('chi_square_cdf', 5.0, 1.0, 0.9746526813225317),
  ('chi_square_cdf', 0.02, 2.0, 0.009950166250831947),
  ('chi_square_cdf', 0.2, 2.0, 0.09516258196404043),
  ('chi_square_cdf', 1.0, 2.0, 0.3934693402873666),
  ('chi_square_cdf', 1.8, 2.0, 0.5934303402594009),
  ('chi_square_cdf', 2.0, 2.0, 0.6321205588285577),
  ('chi_square_cdf', 2.2, 2.0, 0.6671289163019205),
  ('chi_square_cdf', 4.0, 2.0, 0.8646647167633873),
  ('chi_square_cdf', 10.0, 2.0, 0.9932620530009145),
  ('chi_square_cdf', 0.03, 3.0, 0.001369605181191318),
  ('chi_square_cdf', 0.30000000000000004, 3.0, 0.0399715196931224),
  ('chi_square_cdf', 1.5, 3.0, 0.3177296696637874),
  ('chi_square_cdf', 2.7, 3.0, 0.559772705639769),
  ('chi_square_cdf', 3.0, 3.0, 0.608374823728911),
  ('chi_square_cdf', 3.3000000000000003, 3.0, 0.6523573552677254),
  ('chi_square_cdf', 6.0, 3.0, 0.8883897749052875),
  ('chi_square_cdf', 15.0, 3.0, 0.9981833510334277),
  ('chi_square_cdf', 0.05, 5.0, 2.9209539998950108e-05),
  ('chi_square_cdf', 0.5, 5.0, 0.007876706767370407),
  ('chi_square_cdf', 2.5, 5.0, 0.2235049288766773),
  ('chi_square_cdf', 4.5, 5.0, 0.5201165618867006),
  ('chi_square_cdf', 5.0, 5.0, 0.5841198130044921),
  ('chi_square_cdf', 5.5, 5.0, 0.6420541191490415),
  ('chi_square_cdf', 10.0, 5.0, 0.9247647538534878),
  ('chi_square_cdf', 25.0, 5.0, 0.9998606662088144),
  ('chi_square_cdf', 0.1, 10.0, 2.4979513360065104e-09),
  ('chi_square_cdf', 1.0, 10.0, 0.00017211562995584078),
  ('chi_square_cdf', 5.0, 10.0, 0.10882198108584876),
  ('chi_square_cdf', 9.0, 10.0, 0.4678964236252845),
  ('chi_square_cdf', 10.0, 10.0, 0.5595067149347875),
  ('chi_square_cdf', 11.0, 10.0, 0.6424819975720745),
  ('chi_square_cdf', 20.0, 10.0, 0.970747311923039),
  ('chi_square_cdf', 50.0, 10.0, 0.9999997330916575),
  ('chi_square_cdf', 0.5, 50.0, 4.502725978878787e-41),
  ('chi_square_cdf', 5.0, 50.0, 5.198100275214561e-17),
  ('chi_square_cdf', 25.0, 50.0, 0.0011924488482317013),
  ('chi_square_cdf', 45.0, 50.0, 0.3262068872469913),
  ('chi_square_cdf', 50.0, 50.0, 0.5266015314436506),
  ('chi_square_cdf', 55.00000000000001, 50.0, 0.7089896993403522),
  ('chi_square_cdf', 100.0, 50.0, 0.9999654506861702),
  ('chi_square_cdf', 250.0, 50.0, 1.0),
  ('chi_square_cdf', 1.0, 100.0, 1.7887765104351365e-80),
  ('chi_square_cdf', 10.0, 100.0, 2.1810592140784887e-32),
  ('chi_square_cdf', 50.0, 100.0, 6.953305247616099e-06),
  ('chi_square_cdf', 90.0, 100.0, 0.24680203440017026),
  ('chi_square_cdf', 100.0, 100.0, 0.5188083154720433),
  ('chi_square_cdf', 110.00000000000001, 100.0, 0.767795219499144),
  ('chi_square_cdf', 200.0, 100.0, 0.9999999882154993),
  ('chi_square_cdf', 500.0, 100.0, 1.0),
  ('chi_square_cdf', 5.0, 500.0, 0.0),
  ('chi_square_cdf', 50.0, 500.0, 1.4574644085760801e-154),
  ('chi_square_cdf', 250.0, 500.0, 5.354943699258308e-23),
  ('chi_square_cdf', 450.0, 500.0, 0.05305968722805805),
  ('chi_square_cdf', 500.0, 500.0, 0.508410626968991),
  ('chi_square_cdf', 550.0, 500.0, 0.9396956137145408),
  ('chi_square_cdf', 1000.0, 500.0, 1.0),
  ('chi_square_cdf', 2500.0, 500.0, 1.0),
  ('chi_square_cdf', 10.0, 1000.0, 0.0),
  ('chi_square_cdf', 500.0, 1000.0, 4.0671656819990014e-44),
  ('chi_square_cdf', 900.0, 1000.0, 0.010717238091289742),
  ('chi_square_cdf', 1000.0, 1000.0, 0.5059471461707603),
  ('chi_square_cdf', 1100.0, 1000.0, 0.9853855918737048),
  ('chi_square_cdf', 2000.0, 1000.0, 1.0),
  ('chi_square_cdf', 5000.0, 1000.0, 1.0)
;
SELECT fn, count(*) AS points,
       count(*) FILTER (WHERE NOT (CASE WHEN value = 0 THEN got = 0 ELSE abs(got - value) <= 1e-12 * abs(value) END)) AS over_1e_12
  FROM (SELECT fn, value, CASE fn WHEN 'normal_cdf' THEN rfm.normal_cdf(a) WHEN 'normal_quantile' THEN rfm.normal_quantile(a)
                                  WHEN 'student_t_cdf' THEN rfm.student_t_cdf(a, b)
                                  WHEN 'student_t_quantile' THEN rfm.student_t_quantile(a, b)
                                  WHEN 'chi_square_cdf' THEN rfm.chi_square_cdf(a, b) END AS got
          FROM dist_reference) s
 GROUP BY fn ORDER BY fn;
SELECT rfm.normal_cdf(-37.5) AS upper_tail_1e_308, rfm.normal_quantile(1e-300) AS z_1e_300,
       rfm.student_t_quantile(0.975, 10) AS t_975_10, rfm.chi_square_cdf(3.841458820694124, 1) AS chi2_95;
-- symmetry: cdf(-t) = 1 - cdf(t) where both are representable, quantile(1-p) = -quantile(p)
SELECT bool_and(abs(rfm.student_t_cdf(-t, df) + rfm.student_t_cdf(t, df) - 1) < 1e-15) AS t_symmetric,
       bool_and(abs(rfm.student_t_quantile(1 - p, df) + rfm.student_t_quantile(p, df)) <= 1e-12 * abs(rfm.student_t_quantile(p, df))) AS quantile_symmetric
  FROM (VALUES (0.5, 3.5, 0.25), (2.0, 100, 0.1), (1e-3, 1e7, 0.4)) v (t, df, p);
-- t with infinite df is the normal
SELECT rfm.student_t_cdf(1.5, 'Infinity') = rfm.normal_cdf(1.5) AS t_inf_is_normal;

-- 4. parallel = serial: forced parallel plans aggregate in the workers (Partial Aggregate) and combine
-- serialized states; the cells are the same to the last digit
CREATE FUNCTION plan_has(query text, pattern text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
    IF line ~ pattern THEN RETURN true; END IF;
  END LOOP;
  RETURN false;
END $$;
ANALYZE hillstrom;
SET max_parallel_workers_per_gather = 0;
CREATE TABLE serial_cells AS
  SELECT segment, rfm.campaign_cell_agg(spend, history, conversion = 1) AS cell,
         rfm.campaign_cell_agg(spend::float8, history::float8, conversion = 1) AS cell_f
    FROM hillstrom GROUP BY segment;
CREATE TABLE serial_all AS SELECT rfm.campaign_cell_agg(spend, history, conversion = 1) AS cell FROM hillstrom;
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
SELECT plan_has(q, 'Partial (Hash|Group)?Aggregate') AS partial, plan_has(q, 'Finalize') AS finalize,
       plan_has(q, 'Gather') AS gather
  FROM (VALUES ('SELECT segment, rfm.campaign_cell_agg(spend, history, conversion = 1) FROM hillstrom GROUP BY segment'),
               ('SELECT rfm.campaign_cell_agg(spend, history, conversion = 1) FROM hillstrom'),
               ('SELECT rfm.campaign_cell_agg(spend::float8, history::float8, conversion = 1) FROM hillstrom')) v (q);
CREATE TABLE parallel_cells AS
  SELECT segment, rfm.campaign_cell_agg(spend, history, conversion = 1) AS cell,
         rfm.campaign_cell_agg(spend::float8, history::float8, conversion = 1) AS cell_f
    FROM hillstrom GROUP BY segment;
CREATE TABLE parallel_all AS SELECT rfm.campaign_cell_agg(spend, history, conversion = 1) AS cell FROM hillstrom;
RESET max_parallel_workers_per_gather;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET parallel_leader_participation;
SELECT count(*) AS arms, count(*) FILTER (WHERE s.cell = p.cell AND s.cell::text = p.cell::text) AS same,
       count(*) FILTER (WHERE s.cell_f::text = p.cell_f::text) AS same_float8,
       count(*) FILTER (WHERE s.cell::text = s.cell_f::text) AS float8_equals_numeric
  FROM serial_cells s FULL JOIN parallel_cells p USING (segment);
SELECT s.cell = p.cell AS whole_table_same, (p.cell).members FROM serial_all s, parallel_all p;
-- pooling cells in SQL is exact: the sum of the three arms is the cell of the whole table
SELECT rfm.campaign_cell_add(rfm.campaign_cell_add(a.cell, b.cell), c.cell) = s.cell AS pooled_equals_whole
  FROM serial_cells a, serial_cells b, serial_cells c, serial_all s
 WHERE a.segment = 'Mens E-Mail' AND b.segment = 'Womens E-Mail' AND c.segment = 'No E-Mail';

-- 5. sample-ratio mismatch against equal thirds: the real allocation is not flagged; dropping every 20th row
-- of 'Mens E-Mail' (in file order, 5 %) is, with p < 1e-6. Reference: scipy.stats.chisquare
CREATE TABLE srm_reference (name text, chi_square double precision, df integer, p double precision);
INSERT INTO srm_reference VALUES
  ('equal thirds', 0.20253125000000002, 2, 0.9036929575604196),
  ('planted mismatch [20242, 21387, 21306]', 38.92400095336459, 2, 3.5298852391612417e-09)
;
CREATE TABLE srm_got AS
  SELECT 'equal thirds' AS name, s.*
    FROM rfm.srm_test((SELECT array_agg((cell).members ORDER BY array_position(ARRAY['Mens E-Mail', 'Womens E-Mail', 'No E-Mail'], segment))
                         FROM cells WHERE dim = 'all'), ARRAY[1, 1, 1]::float8[]) s
  UNION ALL
  SELECT 'planted mismatch', s.*
    FROM rfm.srm_test((SELECT array_agg(n ORDER BY array_position(ARRAY['Mens E-Mail', 'Womens E-Mail', 'No E-Mail'], segment))
                         FROM (SELECT segment, count(*) n
                                 FROM (SELECT segment, row_number() OVER (PARTITION BY segment ORDER BY id) AS rn FROM hillstrom) h
                                WHERE NOT (segment = 'Mens E-Mail' AND rn % 20 = 0) GROUP BY segment) c),
                      ARRAY[1, 1, 1]::float8[]) s;
SELECT g.name, round(g.chi_square::numeric, 6) AS chi_square, g.df, g.p < 1e-6 AS flagged,
       abs(g.chi_square - r.chi_square) <= 1e-12 * r.chi_square AND abs(g.p - r.p) <= 1e-12 * r.p AND g.df = r.df AS equals_scipy
  FROM srm_got g JOIN srm_reference r ON r.name LIKE g.name || '%' ORDER BY g.name;
-- shares are normalized: percentages give the same
SELECT (rfm.srm_test(ARRAY[100, 120]::bigint[], ARRAY[50, 50]::float8[])).chi_square
     = (rfm.srm_test(ARRAY[100, 120]::bigint[], ARRAY[0.5, 0.5]::float8[])).chi_square AS normalized;
SELECT * FROM rfm.srm_test(ARRAY[0, 0]::bigint[], ARRAY[1, 1]::float8[]);  -- nobody: NULLs

-- 6. NULLs, degenerate cells, bad input
-- NULL y or x count as 0, NULL responded as false; every row is a member; no rows: a cell of zeros
SELECT rfm.campaign_cell_agg(y, x, r) FROM (VALUES (NULL::numeric, 1.5, NULL::boolean), (2.25, NULL, true), (0.00005, -1, false)) v (y, x, r);
SELECT rfm.campaign_cell_agg(y, x, r) FROM (VALUES (NULL::float8, 1.5::float8, NULL::boolean), (2.25, NULL, true)) v (y, x, r);
SELECT rfm.campaign_cell_agg(y, x, r) FROM (VALUES (1::numeric, 1::numeric, true)) v (y, x, r) WHERE false;
SELECT rfm.campaign_cell_agg(y, 0, true) FROM (VALUES ('NaN'::numeric)) v (y);
SELECT rfm.campaign_cell_agg(y, 0, true) FROM (VALUES (1e15::numeric)) v (y);
SELECT rfm.campaign_cell_agg(0, x, true) FROM (VALUES ('Infinity'::float8)) v (x);
-- the state, rfm.campaign_state (what Citus ships from the workers to the coordinator): states of the hillstrom
-- arms and extreme ones survive text and binary round trips exactly; the combine of two states is the pooled cell
CREATE TABLE states AS
  SELECT segment, rfm.campaign_cell_trans(rfm.campaign_cell_trans('(0,0,0,0,0,0,0)', spend, history, conversion = 1),
                                          spend * 3, -history, false) AS s
    FROM hillstrom WHERE visit = 1
  UNION ALL
  SELECT 'extreme', '(9223372036854775807,9223372036854775807,-170141183460469231731687303715884105728,170141183460469231731687303715884105727,170141183460469231731687303715884105727,0,-1)'
  UNION ALL
  SELECT 'empty', '(0,0,0,0,0,0,0)';
SELECT count(*) AS states,
       count(*) FILTER (WHERE s::text::rfm.campaign_state::text = s::text) AS text_round_trip,
       count(*) FILTER (WHERE rfm.campaign_state_send(s::text::rfm.campaign_state) = rfm.campaign_state_send(s)) AS binary_same
  FROM states;
SELECT s FROM states WHERE segment IN ('extreme', 'empty') ORDER BY segment;
SELECT rfm.campaign_cell_final(rfm.campaign_cell_combine(a.s, b.s))::text
       = rfm.campaign_cell_add(rfm.campaign_cell_final(a.s), rfm.campaign_cell_final(b.s))::text AS combine_pools
  FROM (SELECT s FROM states WHERE segment = 'Mens E-Mail' LIMIT 1) a, (SELECT s FROM states WHERE segment = 'No E-Mail' LIMIT 1) b;
-- the aggregate's state is updated in place only inside an aggregate: a direct call leaves its argument alone
SELECT s, rfm.campaign_cell_trans(s, 1, 2, true) AS plus_one FROM (SELECT '(1,0,10000,100000000,0,0,0)'::rfm.campaign_state s) v;
-- bad text: syntax, ranges and inconsistent counts or sums, each with a hint
SELECT '(1,0,1,1,0,0)'::rfm.campaign_state;
SELECT '(1,0,1,1,0,0,0) '::rfm.campaign_state;
SELECT '(1, 0,1,1,0,0,0)'::rfm.campaign_state;
SELECT '(1,0,+1,1,0,0,0)'::rfm.campaign_state;
SELECT '(9223372036854775808,0,0,0,0,0,0)'::rfm.campaign_state;
SELECT '(1,0,170141183460469231731687303715884105728,0,0,0,0)'::rfm.campaign_state;
SELECT '(1,2,0,0,0,0,0)'::rfm.campaign_state;
SELECT '(-1,0,0,0,0,0,0)'::rfm.campaign_state;
SELECT '(1,0,0,-1,0,0,0)'::rfm.campaign_state;
SELECT '(0,0,0,0,0,0,5)'::rfm.campaign_state;
-- degenerate comparisons give NULLs, never errors or NaN
CREATE TABLE tiny AS
  SELECT name, rfm.campaign_cell_agg(y, x, r) AS cell
    FROM (VALUES ('one', 5.0, 1.0, true),
                 ('flat', 2.0, 3.0, false), ('flat', 2.0, 3.0, false), ('flat', 2.0, 3.0, false),
                 ('flat2', 1.0, 3.0, false), ('flat2', 1.0, 3.0, false),
                 ('some', 0.0, 1.0, false), ('some', 4.0, 2.0, true), ('some', 0.0, 3.0, false),
                 ('zero', 0.0, 1.0, false), ('zero', 0.0, 2.0, false)) v (name, y, x, r)
   GROUP BY name
  UNION ALL SELECT 'empty', rfm.campaign_cell_agg(y, x, r) FROM (VALUES (1.0, 1.0, true)) v (y, x, r) WHERE false;
SELECT t.name AS treatment, c.name AS control, (kv).key AS output_not_null
  FROM tiny t, tiny c, LATERAL (SELECT kv FROM jsonb_each(to_jsonb(rfm.campaign_compare(t.cell, c.cell))) kv
                                 WHERE kv.value <> 'null'::jsonb) s
 WHERE (t.name, c.name) IN (('one', 'some'), ('flat', 'flat2'), ('some', 'zero'), ('empty', 'some'))
 ORDER BY 1, 2, 3;
SELECT count(*) AS comparisons, count(*) FILTER (WHERE to_jsonb(rfm.campaign_compare(t.cell, c.cell))::text ~* 'nan|infinity') AS nan_or_infinite
  FROM tiny t, tiny c;
-- confidence outside (0, 1), NULL fields, impossible counts
SELECT rfm.campaign_compare(t.cell, c.cell, 1) FROM cells t, cells c WHERE t.segment = 'Mens E-Mail' AND c.segment = 'No E-Mail' AND t.dim = 'all' AND c.dim = 'all';
SELECT rfm.campaign_compare(t.cell, c.cell, 0) FROM cells t, cells c WHERE t.segment = 'Mens E-Mail' AND c.segment = 'No E-Mail' AND t.dim = 'all' AND c.dim = 'all';
SELECT rfm.campaign_compare(t.cell, c.cell, 'NaN') FROM cells t, cells c WHERE t.segment = 'Mens E-Mail' AND c.segment = 'No E-Mail' AND t.dim = 'all' AND c.dim = 'all';
SELECT (rfm.campaign_compare(t.cell, c.cell, 0.99)).revenue_uplift_low < (rfm.campaign_compare(t.cell, c.cell)).revenue_uplift_low AS wider_at_99
  FROM cells t, cells c WHERE t.segment = 'Mens E-Mail' AND c.segment = 'No E-Mail' AND t.dim = 'all' AND c.dim = 'all';
SELECT rfm.campaign_compare(ROW(10, 1, 1, 1, NULL, 0, 0)::rfm.campaign_cell, ROW(10, 1, 1, 1, 0, 0, 0)::rfm.campaign_cell);
SELECT rfm.campaign_compare(ROW(10, 11, 1, 1, 0, 0, 0)::rfm.campaign_cell, ROW(10, 1, 1, 1, 0, 0, 0)::rfm.campaign_cell);
SELECT rfm.campaign_compare(NULL, ROW(10, 1, 1, 1, 0, 0, 0)::rfm.campaign_cell) IS NULL AS strict;
-- distributions: p outside (0, 1), df <= 0, NaN
SELECT rfm.normal_quantile(0);
SELECT rfm.normal_quantile(1);
SELECT rfm.student_t_quantile(0.5, 0);
SELECT rfm.student_t_cdf(1, -2);
SELECT rfm.student_t_cdf('NaN', 2);
SELECT rfm.chi_square_cdf(1, 'Infinity');
SELECT rfm.chi_square_cdf(-1, 3) AS below_zero, rfm.normal_cdf('-Infinity') AS minus_inf, rfm.student_t_cdf('Infinity', 3) AS plus_inf;
-- srm_test: mismatched lengths, negative counts, non-positive shares, NULLs
SELECT * FROM rfm.srm_test(ARRAY[1, 2, 3]::bigint[], ARRAY[1, 1]::float8[]);
SELECT * FROM rfm.srm_test(ARRAY[5, -1]::bigint[], ARRAY[1, 1]::float8[]);
SELECT * FROM rfm.srm_test(ARRAY[5, 1]::bigint[], ARRAY[1, 0]::float8[]);
SELECT * FROM rfm.srm_test(ARRAY[5, NULL]::bigint[], ARRAY[1, 1]::float8[]);
SELECT * FROM rfm.srm_test(ARRAY[5]::bigint[], ARRAY[1]::float8[]);
RESET search_path;
DROP SCHEMA campaign_stats CASCADE;
