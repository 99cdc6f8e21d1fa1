/*
 * test/jdbc/BiCheck.java: a model's BI objects as a BI tool sees them through
 * PostgreSQL's JDBC driver (Metabase, Superset through JDBC-like drivers,
 * Power BI and FineBI through ODBC/JDBC): DatabaseMetaData lists every object
 * with its columns, types and remarks (none empty), and a prepared statement
 * filtering labels by a varchar parameter (what the driver binds for
 * setString) works on every label column.
 *
 * Usage: java -cp postgresql.jar:. BiCheck JDBC_URL SCHEMA
 * Prints one line per check, "jdbc <check>: passed" or "jdbc <check>: failed
 * (<why>)"; exits 1 if any failed.
 */
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

public class BiCheck
{
	static final String[] OBJECTS = {"labels", "value_segment_summary", "value_segment_history", "label_counts",
		"flow_sankey", "segment_summary", "lifecycle_summary", "napl_dciu", "flow", "kpi", "dciu_lift", "tier_watch",
		"campaign_reviews"};
	static final String[] LABEL_COLUMNS = {"segment", "value_segment", "napl", "nes", "dciu", "tier"};
	static int failed = 0;

	static void report(String check, String problem)
	{
		if (problem == null)
			System.out.println("jdbc " + check + ": passed");
		else
		{
			System.out.println("jdbc " + check + ": failed (" + problem + ")");
			failed++;
		}
	}

	public static void main(String[] args) throws Exception
	{
		String schema = args[1];

		try (Connection c = DriverManager.getConnection(args[0]))
		{
			DatabaseMetaData md = c.getMetaData();

			for (String object : OBJECTS)
			{
				String problem = null;

				try (ResultSet t = md.getTables(null, schema, object, null))
				{
					if (!t.next())
						problem = "not listed by getTables";
					else if (t.getString("REMARKS") == null || t.getString("REMARKS").isEmpty())
						problem = t.getString("TABLE_TYPE") + " without remarks";
				}
				/* what most BI tools list instead (materialized views are not in it) */
				if (problem == null)
				{
					try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM information_schema.columns"
																   + " WHERE table_schema = ? AND table_name = ?"))
					{
						ps.setString(1, schema);
						ps.setString(2, object);
						try (ResultSet r = ps.executeQuery())
						{
							r.next();
							if (r.getLong(1) == 0)
								problem = "not in information_schema.columns";
						}
					}
				}
				if (problem == null)
				{
					List<String> bare = new ArrayList<>();
					int columns = 0;

					try (ResultSet col = md.getColumns(null, schema, object, "%"))
					{
						while (col.next())
						{
							columns++;
							String remarks = col.getString("REMARKS");

							if (col.getString("TYPE_NAME") == null || remarks == null || remarks.isEmpty())
								bare.add(col.getString("COLUMN_NAME"));
						}
					}
					if (columns == 0)
						problem = "no columns";
					else if (!bare.isEmpty())
						problem = "columns without remarks: " + String.join(", ", bare);
					else
						problem = null;
					report("metadata " + schema + "." + object + " (" + columns + " columns)", problem);
				}
				else
					report("metadata " + schema + "." + object, problem);
			}

			for (String column : LABEL_COLUMNS)
			{
				String value = null;
				String problem = null;

				try (Statement st = c.createStatement();
					 ResultSet r = st.executeQuery("SELECT " + column + "::text FROM " + schema + ".labels WHERE "
												   + column + " IS NOT NULL LIMIT 1"))
				{
					if (r.next())
						value = r.getString(1);
				}
				if (value == null)
					problem = "no member has a " + column;
				else
				{
					try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM " + schema
																   + ".labels WHERE " + column + " = ?"))
					{
						ps.setString(1, value);
						try (ResultSet r = ps.executeQuery())
						{
							r.next();
							if (r.getLong(1) == 0)
								problem = "no row for " + value;
						}
					}
					catch (java.sql.SQLException e)
					{
						problem = e.getMessage().replace('\n', ' ');
					}
				}
				report("varchar parameter on labels." + column + (value != null ? " = '" + value + "'" : ""), problem);
			}
		}
		System.exit(failed > 0 ? 1 : 0);
	}
}
