package org.relayguard.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Every log file the shipped {@code conf/logback.xml} writes has a bounded size, as its header
 * promises: a rolling file rotated by size and by day, with a history and a total size cap. A gateway
 * runs for months, and a sender chooses how many lines it writes (one decision line per denied mail),
 * so a file appender without a cap would let it fill the disk.
 */
class LogbackConfigTest {
    static final Path LOGBACK = DocLinksTest.REPOSITORY.resolve("james-conf/src/main/james/conf/logback.xml");
    private static final String CONSOLE = "ch.qos.logback.core.ConsoleAppender";
    private static final String ROLLING_FILE = "ch.qos.logback.core.rolling.RollingFileAppender";
    private static final String SIZE_AND_TIME = "ch.qos.logback.core.rolling.SizeAndTimeBasedRollingPolicy";

    @Test
    void everyFileAppenderRotatesBySizeAndDayWithinATotalCap() throws Exception {
        Element configuration = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(LOGBACK.toFile()).getDocumentElement();
        NodeList appenders = configuration.getElementsByTagName("appender");

        List<String> files = new ArrayList<>();
        for (int i = 0; i < appenders.getLength(); i++) {
            Element appender = (Element) appenders.item(i);
            String name = appender.getAttribute("name");
            String type = appender.getAttribute("class");
            if (type.equals(CONSOLE)) {
                continue;
            }
            assertThat(type).as("appender %s: the console or a rolling file", name).isEqualTo(ROLLING_FILE);
            files.add(name);
            Element policy = child(appender, "rollingPolicy", name);
            assertThat(policy.getAttribute("class")).as("appender %s's rolling policy", name).isEqualTo(SIZE_AND_TIME);
            assertThat(text(policy, "fileNamePattern", name)).as("appender %s: a file per day and per size step", name)
                .contains("%d{", "%i");
            for (String limit : List.of("maxFileSize", "maxHistory", "totalSizeCap")) {
                assertThat(text(policy, limit, name)).as("appender %s's %s", name, limit).isNotBlank();
            }
        }
        assertThat(files).as("the file appenders: James's log and the decision log").contains("FILE", "DECISIONS");
    }

    private static Element child(Element parent, String tag, String appender) {
        NodeList children = parent.getElementsByTagName(tag);
        assertThat(children.getLength()).as("<%s> of appender %s", tag, appender).isEqualTo(1);
        return (Element) children.item(0);
    }

    private static String text(Element parent, String tag, String appender) {
        NodeList children = parent.getElementsByTagName(tag);
        assertThat(children.getLength()).as("<%s> of appender %s", tag, appender).isEqualTo(1);
        return children.item(0).getTextContent().trim();
    }
}
