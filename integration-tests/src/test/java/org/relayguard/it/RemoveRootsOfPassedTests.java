package org.relayguard.it;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.relayguard.tools.harness.ScratchDirectories;

/**
 * Each test class's James server roots and cluster roots (about 6 MB each, dozens a run) are
 * removed when all its tests passed and kept when one failed, so that James's log and the queues
 * can be read; the run names what it kept. Registered for every test of this module through
 * META-INF/services; the test classes run one after the other.
 */
public final class RemoveRootsOfPassedTests implements TestExecutionListener {
    private int classDepth;
    private boolean failed;

    @Override
    public void executionStarted(TestIdentifier identifier) {
        if (isClass(identifier) && classDepth++ == 0) {
            failed = false;
            ScratchDirectories.takeCreated();
        }
    }

    @Override
    public void executionFinished(TestIdentifier identifier, TestExecutionResult result) {
        if (result.getStatus() == TestExecutionResult.Status.FAILED) {
            failed = true;
        }
        if (isClass(identifier) && --classDepth == 0) {
            List<Path> roots = ScratchDirectories.takeCreated();
            if (failed) {
                roots.forEach(root -> System.out.println("Kept for reading the failure of " + identifier.getDisplayName() + ": " + root));
                return;
            }
            for (Path root : roots) {
                try {
                    ScratchDirectories.delete(root);
                } catch (IOException | RuntimeException e) {
                    System.out.println("Could not remove " + root + ": " + e);
                }
            }
        }
    }

    private static boolean isClass(TestIdentifier identifier) {
        return identifier.isContainer() && identifier.getSource().filter(ClassSource.class::isInstance).isPresent();
    }
}
